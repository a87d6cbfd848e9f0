//! A paper session's journal as the store keeps it, for comparing sessions.

use gt_store::{FillRecord, OrderRecord, Store};
use std::path::Path;

/// The journal of `session` in the store of `dir`: its orders, fills and bars
/// done, ids without the session's name.
pub fn journal(dir: &Path, session: &str) -> (Vec<OrderRecord>, Vec<FillRecord>, i64) {
    let url = format!("sqlite://{}", dir.join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let steps = store.session(session).await.unwrap().unwrap().steps_done;
        let mut orders = store.orders(session).await.unwrap();
        let mut fills = store.fills(session).await.unwrap();
        store.close().await;
        // Ids start with the session's name; without it two sessions' journals compare.
        let prefix = format!("{session}-");
        for order in &mut orders {
            order.client_order_id = order.client_order_id.replacen(&prefix, "", 1);
        }
        for fill in &mut fills {
            fill.client_order_id = fill.client_order_id.replacen(&prefix, "", 1);
            fill.fill_id = fill.fill_id.replacen(&prefix, "", 1);
        }
        (orders, fills, steps)
    })
}
