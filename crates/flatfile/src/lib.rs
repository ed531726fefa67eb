//! flatfile
