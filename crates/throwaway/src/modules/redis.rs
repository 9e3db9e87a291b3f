//! Redis: `Redis::new("redis:7.0").start().await?` (placeholder; being written).
