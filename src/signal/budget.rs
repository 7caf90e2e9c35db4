//! Who gets a seat at `signal serve` when hostile peers crowd in.
//!
//! Each transport has its own budget (`--max-connections`), so a TCP flood cannot lock UDP peers
//! out. Each address may hold at most `--max-per-address` of them, so one host cannot take the
//! whole budget. When a budget is full, a newcomer takes the seat of the oldest peer that has not
//! yet sent one complete SIP message (a slow sender, a silent socket, a garbage stream) — from the
//! crowded address first — and is refused only when every seat is held by a peer that has spoken.
//! A peer that has sent a complete message is never dropped for a newcomer: the app under test
//! keeps its connection, however many strangers knock.
//!
//! Pure bookkeeping: the caller owns the peers and carries out the evictions it is told about.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// A seat number, in admission order (older seats have smaller numbers).
pub(crate) type Seat = u64;

/// Why a newcomer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The transport's budget is full of peers that have all spoken.
    Full(usize),
    /// This address holds its share, all of which have spoken.
    Address(IpAddr, usize),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Full(n) => write!(f, "too many connections (limit {n}, --max-connections)"),
            Refusal::Address(ip, n) => write!(
                f,
                "too many connections from {ip} (limit {n}, --max-per-address)"
            ),
        }
    }
}

/// The outcome of [`Budget::admit`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admit<T> {
    /// Seated; `evicted` (its handle) must be dropped by the caller to make room.
    Seated { seat: Seat, evicted: Option<T> },
    /// Not seated.
    Refused(Refusal),
}

#[derive(Debug)]
struct Peer<T> {
    ip: IpAddr,
    /// Present while the peer has not spoken (it can be evicted through it).
    handle: Option<T>,
}

/// The seats of one transport.
#[derive(Debug)]
pub(crate) struct Budget<T> {
    max: usize,
    per_address: usize,
    next: Seat,
    peers: BTreeMap<Seat, Peer<T>>,
    per_ip: HashMap<IpAddr, usize>,
    silent: usize,
}

impl<T> Budget<T> {
    /// `max` seats, at most `per_address` per address (both at least 1).
    pub(crate) fn new(max: usize, per_address: usize) -> Self {
        Budget {
            max: max.max(1),
            per_address: per_address.max(1),
            next: 0,
            peers: BTreeMap::new(),
            per_ip: HashMap::new(),
            silent: 0,
        }
    }

    /// Peers seated.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }

    /// Seat a newcomer from `ip` that has not spoken yet; `handle` is what the caller needs to
    /// evict it later (it is handed back when it is chosen).
    pub(crate) fn admit(&mut self, ip: IpAddr, handle: T) -> Admit<T> {
        let mut evicted = None;
        let from_ip = self.per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.per_address {
            match self.oldest_silent(Some(ip)) {
                Some(seat) => evicted = self.evict(seat),
                None => return Admit::Refused(Refusal::Address(ip, self.per_address)),
            }
        } else if self.peers.len() >= self.max {
            let crowded = self.most_silent_address();
            match crowded.and_then(|c| self.oldest_silent(Some(c))) {
                Some(seat) => evicted = self.evict(seat),
                None => return Admit::Refused(Refusal::Full(self.max)),
            }
        }
        let seat = self.next;
        self.next += 1;
        self.peers.insert(
            seat,
            Peer {
                ip,
                handle: Some(handle),
            },
        );
        *self.per_ip.entry(ip).or_insert(0) += 1;
        self.silent += 1;
        Admit::Seated { seat, evicted }
    }

    /// The peer in `seat` sent a complete message: it can no longer be evicted.
    pub(crate) fn spoke(&mut self, seat: Seat) {
        if let Some(p) = self.peers.get_mut(&seat)
            && p.handle.take().is_some()
        {
            self.silent -= 1;
        }
    }

    /// The peer in `seat` is gone (closed, timed out or evicted); idempotent.
    pub(crate) fn leave(&mut self, seat: Seat) {
        if let Some(p) = self.peers.remove(&seat) {
            if p.handle.is_some() {
                self.silent -= 1;
            }
            if let Some(n) = self.per_ip.get_mut(&p.ip) {
                *n -= 1;
                if *n == 0 {
                    self.per_ip.remove(&p.ip);
                }
            }
        }
    }

    fn evict(&mut self, seat: Seat) -> Option<T> {
        let handle = self.peers.get_mut(&seat).and_then(|p| p.handle.take());
        if handle.is_some() {
            self.silent -= 1;
        }
        self.leave(seat);
        handle
    }

    /// The oldest seat (of `ip`, if given) whose peer has not spoken.
    fn oldest_silent(&self, ip: Option<IpAddr>) -> Option<Seat> {
        if self.silent == 0 {
            return None;
        }
        self.peers
            .iter()
            .find(|(_, p)| p.handle.is_some() && ip.is_none_or(|ip| p.ip == ip))
            .map(|(s, _)| *s)
    }

    /// The address with the most peers that have not spoken (the oldest such peer breaks ties).
    fn most_silent_address(&self) -> Option<IpAddr> {
        if self.silent == 0 {
            return None;
        }
        let mut count: HashMap<IpAddr, (usize, Seat)> = HashMap::new();
        for (seat, p) in &self.peers {
            if p.handle.is_some() {
                count.entry(p.ip).or_insert((0, *seat)).0 += 1;
            }
        }
        count
            .into_iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
            .map(|(ip, _)| ip)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, n])
    }

    fn seated<T: std::fmt::Debug>(a: Admit<T>) -> (Seat, Option<T>) {
        match a {
            Admit::Seated { seat, evicted } => (seat, evicted),
            Admit::Refused(r) => panic!("refused: {r}"),
        }
    }

    #[test]
    fn full_budget_evicts_the_oldest_silent_peer_and_never_one_that_spoke() {
        let mut b = Budget::new(3, 10);
        let (s0, _) = seated(b.admit(ip(1), "a"));
        let (_, _) = seated(b.admit(ip(1), "b"));
        let (s2, _) = seated(b.admit(ip(1), "c"));
        b.spoke(s0);
        // Full: the oldest silent peer ("b") makes room; "a" has spoken.
        assert_eq!(seated(b.admit(ip(2), "d")).1, Some("b"));
        b.spoke(s2);
        assert_eq!(seated(b.admit(ip(2), "e")).1, Some("d"));
        // Everyone left has spoken except "e"; "e" goes next, then nobody.
        let (s5, ev) = seated(b.admit(ip(3), "f"));
        assert_eq!(ev, Some("e"));
        b.spoke(s5);
        assert_eq!(b.admit(ip(4), "g"), Admit::Refused(Refusal::Full(3)));
        assert_eq!(b.len(), 3);
        b.leave(s0);
        assert_eq!(seated(b.admit(ip(4), "g")).1, None);
    }

    #[test]
    fn one_address_cannot_take_more_than_its_share() {
        let mut b = Budget::new(10, 2);
        let (s0, _) = seated(b.admit(ip(1), 0));
        let (s1, _) = seated(b.admit(ip(1), 1));
        // Its own oldest silent peer makes room, not another address's.
        let (_, _) = seated(b.admit(ip(2), 9));
        assert_eq!(seated(b.admit(ip(1), 2)).1, Some(0));
        b.spoke(s1);
        let (s3, ev) = seated(b.admit(ip(1), 3));
        assert_eq!(ev, Some(2));
        b.spoke(s3);
        assert_eq!(
            b.admit(ip(1), 4),
            Admit::Refused(Refusal::Address(ip(1), 2))
        );
        // Other addresses still get in.
        seated(b.admit(ip(3), 5));
        let _ = s0;
    }

    #[test]
    fn the_crowded_address_pays_for_a_full_budget() {
        let mut b = Budget::new(4, 10);
        let (_, _) = seated(b.admit(ip(1), "lone"));
        for h in ["x", "y", "z"] {
            seated(b.admit(ip(2), h));
        }
        // "lone" is the oldest silent peer, but ip 2 crowds the budget.
        assert_eq!(seated(b.admit(ip(3), "new")).1, Some("x"));
    }

    proptest! {
        /// Whatever the order of arrivals, messages and departures: never more than the
        /// budget, never more than the share of one address, never a peer that spoke evicted,
        /// and a refusal only when no silent peer could make room.
        #[test]
        fn bounds_hold(ops in proptest::collection::vec((0u8..4, 0u8..5, any::<u8>()), 0..300)) {
            let (max, per) = (6usize, 3usize);
            let mut b: Budget<Seat> = Budget::new(max, per);
            let mut live: Vec<(Seat, IpAddr, bool)> = Vec::new();
            for (op, who, pick) in ops {
                match op {
                    0 | 1 => {
                        let a = ip(who);
                        let next = b.next;
                        match b.admit(a, next) {
                            Admit::Seated { seat, evicted } => {
                                if let Some(e) = evicted {
                                    let i = live.iter().position(|l| l.0 == e).unwrap();
                                    prop_assert!(!live[i].2, "a peer that spoke was evicted");
                                    live.remove(i);
                                }
                                live.push((seat, a, false));
                            }
                            Admit::Refused(Refusal::Full(_)) => {
                                prop_assert_eq!(live.len(), max);
                                prop_assert!(live.iter().all(|l| l.2));
                            }
                            Admit::Refused(Refusal::Address(..)) => {
                                let mine: Vec<_> = live.iter().filter(|l| l.1 == a).collect();
                                prop_assert_eq!(mine.len(), per);
                                prop_assert!(mine.iter().all(|l| l.2));
                            }
                        }
                    }
                    2 if !live.is_empty() => {
                        let i = pick as usize % live.len();
                        b.spoke(live[i].0);
                        live[i].2 = true;
                    }
                    3 if !live.is_empty() => {
                        let i = pick as usize % live.len();
                        b.leave(live[i].0);
                        live.remove(i);
                    }
                    _ => {}
                }
                prop_assert_eq!(b.len(), live.len());
                prop_assert!(live.len() <= max);
                for a in 0..5 {
                    prop_assert!(live.iter().filter(|l| l.1 == ip(a)).count() <= per);
                }
                prop_assert_eq!(b.silent, live.iter().filter(|l| !l.2).count());
            }
        }
    }
}
