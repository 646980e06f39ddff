//! Improving the greedy extractor's choice by single switches, priced on the whole DAG.
//!
//! The greedy extractor prices each class by the cheapest *set* of classes it needs, one class
//! at a time: it cannot see that a class another class chose anyway is already paid for. So
//! two classes may each pick their own cheapest derivation of one value, and the graph then
//! computes it twice: the spikes of a layer by a fire-then-integrate cell and its final
//! potential by a second, integrate-then-fire cell over the same input, although the first
//! cell's potential output is the same value. Which derivation wins such a near tie varies
//! with T, so the optimized graph's size did too.
//!
//! [`improve`] starts from the greedy choice and tries moves until none helps. A move switches
//! one class to another of its nodes (its children keep their current choices), then lets
//! every other chosen class switch to a node that only reuses classes the graph now computes,
//! while that lowers the cost. It is kept when the whole chosen DAG — every class reachable
//! from the roots, each paid once — got cheaper and stayed acyclic; so the result is never
//! worse than the greedy choice. (Taking a fire-then-integrate cell's final potential costs
//! more until the spikes, too, are read from that cell and the second cell drops out: one
//! move, two switches.) The work is bounded ([`MAX_CLASSES`], [`MAX_WORK`]): a large chosen
//! graph keeps the greedy choice.

/// Chosen graphs with more classes than this are not improved (each trial re-walks the graph).
pub const MAX_CLASSES: usize = 4096;

/// The most class visits all trials together may make.
pub const MAX_WORK: usize = 20_000_000;

/// The problem, by dense class index: each class's nodes' own costs (`None`: ill-typed) and
/// distinct children (one list per node).
pub struct Problem<'a> {
    /// `own(c, n)`: the own cost of node `n` of class `c`.
    pub own: &'a dyn Fn(usize, usize) -> Option<f64>,
    /// `kids[c][n]`: the distinct child classes of node `n` of class `c`.
    pub kids: &'a [Vec<Vec<usize>>],
    /// The root classes.
    pub roots: &'a [usize],
}

impl Problem<'_> {
    /// The DAG cost of `choice` from the roots (each reachable class's chosen node once) and
    /// the number of classes visited, or `None` when it is cyclic or reaches a class without a
    /// choice or with an ill-typed node.
    fn total(&self, choice: &[Option<usize>]) -> Option<(f64, usize)> {
        // 0: unseen, 1: on the stack, 2: done.
        let mut mark = vec![0u8; choice.len()];
        let mut sum = 0.0;
        let mut seen = 0;
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for &r in self.roots {
            if mark[r] == 2 {
                continue;
            }
            if mark[r] == 1 {
                return None;
            }
            mark[r] = 1;
            stack.push((r, 0));
            while let Some(&mut (c, ref mut next)) = stack.last_mut() {
                let n = choice[c]?;
                let ks = &self.kids[c][n];
                if *next < ks.len() {
                    let k = ks[*next];
                    *next += 1;
                    match mark[k] {
                        0 => {
                            mark[k] = 1;
                            stack.push((k, 0));
                        }
                        1 => return None,
                        _ => {}
                    }
                } else {
                    sum += (self.own)(c, n)?;
                    seen += 1;
                    mark[c] = 2;
                    stack.pop();
                }
            }
        }
        Some((sum, seen))
    }

    /// The classes reachable from the roots under `choice`, sorted.
    fn reachable(&self, choice: &[Option<usize>]) -> Vec<usize> {
        let mut seen = vec![false; choice.len()];
        let mut out = Vec::new();
        let mut todo: Vec<usize> = self.roots.to_vec();
        while let Some(c) = todo.pop() {
            if std::mem::replace(&mut seen[c], true) {
                continue;
            }
            out.push(c);
            if let Some(n) = choice[c] {
                todo.extend(self.kids[c][n].iter().copied().filter(|&k| !seen[k]));
            }
        }
        out.sort_unstable();
        out
    }
}

/// Whether `t` is cheaper than `best` by more than rounding.
fn cheaper(t: f64, best: f64) -> bool {
    t < best - 1e-6 * best.abs().max(1.0)
}

/// The work budget of one [`improve`] call, in class visits.
struct Budget(usize);

impl Budget {
    /// Spends one trial on a graph of `size` classes; `false` once the budget is spent.
    fn spend(&mut self, size: usize) -> bool {
        self.0 = self.0.saturating_add(size);
        self.0 <= MAX_WORK
    }
}

/// The other nodes class `c` could switch to: well typed, children all with a choice, and,
/// with `within`, children all in that set (a switch that only reuses what is computed).
fn alternatives<'a>(
    p: &'a Problem,
    choice: &'a [Option<usize>],
    c: usize,
    within: Option<&'a [bool]>,
) -> impl Iterator<Item = usize> + 'a {
    (0..p.kids[c].len()).filter(move |&n| {
        Some(n) != choice[c]
            && (p.own)(c, n).is_some()
            && p.kids[c][n].iter().all(|&k| choice[k].is_some() && within.is_none_or(|w| w[k]))
    })
}

/// Switches reachable classes other than `fixed` to nodes that only reuse classes already
/// chosen, each kept when the total falls below `cost`, until none helps. Returns the new
/// total, or `None` when the budget ran out; `log` records every switch (class, old node).
fn settle(
    p: &Problem,
    choice: &mut [Option<usize>],
    fixed: usize,
    mut cost: f64,
    budget: &mut Budget,
    log: &mut Vec<(usize, Option<usize>)>,
) -> Option<f64> {
    loop {
        let reach = p.reachable(choice);
        let mut within = vec![false; choice.len()];
        reach.iter().for_each(|&c| within[c] = true);
        let mut changed = false;
        for &d in reach.iter().filter(|&&d| d != fixed) {
            let options: Vec<usize> = alternatives(p, choice, d, Some(&within)).collect();
            for m in options {
                if !budget.spend(reach.len()) {
                    return None;
                }
                let old = choice[d].replace(m);
                match p.total(choice) {
                    Some((t, _)) if cheaper(t, cost) => {
                        cost = t;
                        log.push((d, old));
                        changed = true;
                    }
                    _ => choice[d] = old,
                }
            }
        }
        if !changed {
            return Some(cost);
        }
    }
}

/// Improves `choice` (a node index per class, `None` where the class has no acyclic choice) in
/// place, as the module says: a move switches one class to another of its nodes and then lets
/// the other classes switch to nodes that reuse what the graph now computes ([`settle`]: the
/// value a second cell recomputed is read from the first); a move is kept when the whole
/// graph got cheaper.
pub fn improve(p: &Problem, choice: &mut [Option<usize>]) {
    let Some((mut best, size)) = p.total(choice) else { return };
    if size > MAX_CLASSES {
        return;
    }
    let mut budget = Budget(0);
    loop {
        let mut improved = false;
        for c in p.reachable(choice) {
            let options: Vec<usize> = alternatives(p, choice, c, None).collect();
            for n in options {
                if !budget.spend(size) {
                    return;
                }
                let mut log = vec![(c, choice[c])];
                choice[c] = Some(n);
                let settled = match p.total(choice) {
                    Some((t, _)) => settle(p, choice, c, t, &mut budget, &mut log),
                    None => None,
                };
                match settled {
                    Some(t) if cheaper(t, best) => {
                        best = t;
                        improved = true;
                    }
                    _ => {
                        for (d, old) in log.into_iter().rev() {
                            choice[d] = old;
                        }
                    }
                }
                if budget.0 > MAX_WORK {
                    return;
                }
            }
        }
        if !improved {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roots 0 (spikes) and 1 (potential); class 2 is cell A (cost 10), class 3 cell B (9).
    /// Class 1 can read either cell: alone B is cheaper, but A is paid for class 0 anyway.
    #[test]
    fn a_value_already_paid_for_is_reused() {
        let own = [vec![Some(1.0)], vec![Some(1.0), Some(1.0)], vec![Some(10.0)], vec![Some(9.0)]];
        let kids = vec![vec![vec![2]], vec![vec![3], vec![2]], vec![vec![]], vec![vec![]]];
        let own = |c: usize, n: usize| own[c][n];
        let p = Problem { own: &own, kids: &kids, roots: &[0, 1] };
        let mut choice = vec![Some(0), Some(0), Some(0), Some(0)];
        assert_eq!(p.total(&choice).map(|t| t.0), Some(21.0));
        improve(&p, &mut choice);
        assert_eq!(choice[1], Some(1));
        assert_eq!(p.total(&choice).map(|t| t.0), Some(12.0));
    }

    /// A switch that would make a class depend on itself is never taken, however cheap.
    #[test]
    fn a_cyclic_switch_is_refused() {
        let own = [vec![Some(1.0)], vec![Some(50.0), Some(0.0)]];
        let kids = vec![vec![vec![1]], vec![vec![], vec![0]]];
        let own = |c: usize, n: usize| own[c][n];
        let p = Problem { own: &own, kids: &kids, roots: &[0] };
        let mut choice = vec![Some(0), Some(0)];
        improve(&p, &mut choice);
        assert_eq!(choice, vec![Some(0), Some(0)]);
    }
}
