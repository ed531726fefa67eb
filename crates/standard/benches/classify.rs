//! Classification throughput: the code path every household of a national
//! file goes through. Run with `cargo bench -p standard`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use standard::{Area, Catalogue, DeprivationSet};
use std::hint::black_box;

/// Households spread around the lines, from a fixed pseudo-random sequence.
fn households(n: usize, indicators: usize) -> Vec<(Area, i64, DeprivationSet)> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let area = if x & 7 == 0 { Area::Urban } else { Area::Rural };
            let income = ((x >> 8) % 4_000_000) as i64;
            // About one deprivation in eight: a realistic mix of counts.
            let mut set = DeprivationSet::EMPTY;
            for i in 0..indicators {
                if (x >> (20 + i * 3)) & 7 == 0 {
                    set.insert(i);
                }
            }
            (area, income, set)
        })
        .collect()
}

fn classify(c: &mut Criterion) {
    let catalogue = Catalogue::builtin().expect("shipped standards load");
    let mut group = c.benchmark_group("classify");
    const N: usize = 1_000_000;
    group.throughput(Throughput::Elements(N as u64));
    for id in ["vn-2016-2020", "vn-2022-2025", "vn-2027-2030"] {
        let standard = catalogue.get(id).expect("standard exists");
        let input = households(N, standard.indicators.len());
        group.bench_function(id, |b| {
            b.iter(|| {
                let mut poor = 0u32;
                for &(area, income, set) in &input {
                    let result = standard.classify(area, income, set);
                    poor +=
                        u32::from(result.status == standard::Status::Poor) + result.score.points;
                }
                black_box(poor)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
