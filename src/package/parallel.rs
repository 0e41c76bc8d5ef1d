//! Spreading slow, independent office work (photo enrolment, PIN hashing) over threads,
//! results in input order.

/// `f` applied to every item on up to `threads` scoped threads, in order.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A panic in `f` is a bug; carry it to the caller unchanged.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_input_order_for_any_thread_count() {
        let items: Vec<u32> = (0..37).collect();
        for threads in [0, 1, 2, 5, 64] {
            assert_eq!(
                super::map(&items, threads, |x| x * 2),
                (0..37).map(|x| x * 2).collect::<Vec<_>>()
            );
        }
        assert!(super::map(&[] as &[u32], 4, |x| *x).is_empty());
    }
}
