//! Which requests an `execute-api` resource pattern reaches beyond its own route.
//!
//! A route's pattern (`GET/orders/*`) is its path with `*` for each parameter; IAM's `*`
//! spans `/`, so the pattern also matches requests of other routes (`GET/orders/1/refunds`).
//! Over request paths of non-empty segments (the only ones API Gateway routes to a
//! parameter), a `*` between slashes is one or more whole segments. Both a pattern and a
//! route are then sequences over segments: walking the two together finds the paths both
//! match, and the router says whether such a path is the route's own (`/orders/summary`
//! matches `/orders/{id}` but routes to its literal sibling). A segment neither side fixes
//! is a token no literal equals, which only a parameter takes.

use crate::domain::routes::method::RouteMethod;
use crate::domain::routes::path::Segment;
use crate::domain::routes::table::RouteTable;
use std::collections::HashMap;

/// One position of a segment sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// A literal segment, by its interned id.
    Literal(u32),
    /// Exactly one segment, whatever it holds.
    One,
    /// Zero or more segments.
    Many,
}

/// Each route of a table as a pattern and as a route, over interned literals.
pub(super) struct Shapes {
    /// The literal segments, by id.
    literals: Vec<String>,
    /// What the route's ARN pattern matches: every parameter one or more segments.
    patterns: Vec<Vec<Element>>,
    /// What the route itself takes: a parameter one segment, a greedy tail one or more.
    routes: Vec<Vec<Element>>,
    /// The methods each route answers, as bits of [`RouteMethod::CONCRETE`]: `ANY` less
    /// the methods its path has routes of their own for.
    methods: Vec<u8>,
}

impl Shapes {
    pub(super) fn of(table: &RouteTable) -> Self {
        let mut literals: HashMap<&str, u32> = HashMap::new();
        let mut patterns = Vec::with_capacity(table.routes().len());
        let mut routes = Vec::with_capacity(table.routes().len());
        for route in table.routes() {
            let (mut pattern, mut own) = (Vec::new(), Vec::new());
            for segment in route.path.segments() {
                match segment {
                    Segment::Literal(text) => {
                        let next = literals.len() as u32;
                        let id = *literals.entry(text.as_str()).or_insert(next);
                        pattern.push(Element::Literal(id));
                        own.push(Element::Literal(id));
                    }
                    Segment::Param(_) => {
                        pattern.extend([Element::One, Element::Many]);
                        own.push(Element::One);
                    }
                    Segment::Greedy(_) => {
                        pattern.extend([Element::One, Element::Many]);
                        own.extend([Element::One, Element::Many]);
                    }
                }
            }
            patterns.push(pattern);
            routes.push(own);
        }
        let methods = effective_methods(table);
        let mut names = vec![String::new(); literals.len()];
        for (text, id) in literals {
            names[id as usize] = text.to_owned();
        }
        Self {
            literals: names,
            patterns,
            routes,
            methods,
        }
    }

    /// The methods route `index` answers (see [`Shapes::methods`]).
    pub(super) fn methods(&self, index: usize) -> impl Iterator<Item = RouteMethod> + '_ {
        RouteMethod::CONCRETE
            .into_iter()
            .enumerate()
            .filter(move |(bit, _)| self.methods[index] & (1 << bit) != 0)
            .map(|(_, method)| method)
    }

    /// For each route `a`, the other routes `b` with a request of their own (as `table`
    /// routes it, for a method both answer) that `a`'s pattern matches too.
    pub(super) fn reaches(&self, table: &RouteTable) -> Vec<Vec<u32>> {
        // Routes by their first element: a pattern starting with a literal can only reach
        // routes starting with that literal or with a parameter.
        let mut by_first: HashMap<Option<u32>, Vec<u32>> = HashMap::new();
        for (b, own) in self.routes.iter().enumerate() {
            let first = match own.first() {
                Some(Element::Literal(id)) => Some(*id),
                _ => None,
            };
            by_first.entry(first).or_default().push(b as u32);
        }
        let everyone: Vec<u32> = (0..self.routes.len() as u32).collect();
        let mut scratch = Vec::new();
        self.patterns
            .iter()
            .enumerate()
            .map(|(a, pattern)| {
                let candidates: Vec<u32> = match pattern.first() {
                    Some(Element::Literal(id)) => [Some(*id), None]
                        .iter()
                        .flat_map(|k| by_first.get(k).into_iter().flatten().copied())
                        .collect(),
                    _ => everyone.clone(),
                };
                candidates
                    .into_iter()
                    .filter(|&b| {
                        let b = b as usize;
                        b != a
                            && self.methods[a] & self.methods[b] != 0
                            && (intersect(pattern, &self.routes[b], &mut scratch)
                                || self.star_reaches_root(a, b))
                            && self.reaches_own_request(table, a, b)
                    })
                    .collect()
            })
            .collect()
    }
}

impl Shapes {
    /// Whether a path both `a`'s pattern and route `b` match is routed to `b`: the paths
    /// tried are every way of lining the two up, no longer than both together.
    fn reaches_own_request(&self, table: &RouteTable, a: usize, b: usize) -> bool {
        let (x, y) = (&self.patterns[a], &self.routes[b]);
        let methods: Vec<RouteMethod> = self
            .methods(a)
            .filter(|m| self.methods(b).any(|n| n == *m))
            .collect();
        let mut walk = Walk {
            x,
            y,
            limit: x.len() + y.len() + 1,
            tokens: Vec::new(),
            found: &mut |tokens: &[Option<u32>]| {
                let path = self.path_of(tokens);
                methods
                    .iter()
                    .any(|m| table.find(m.as_str(), &path) == Some(b))
            },
        };
        walk.from(0, 0) || (self.star_reaches_root(a, b) && (walk.found)(&[]))
    }

    /// `METHOD/*` (the pattern of `/{id}` or `/{proxy+}`) also matches the root's
    /// `METHOD/`: there the `*` matches nothing, the one place a request's path allows it.
    fn star_reaches_root(&self, a: usize, b: usize) -> bool {
        self.routes[b].is_empty() && self.patterns[a] == [Element::One, Element::Many]
    }

    /// A path of literal ids, `None` for a segment no literal equals.
    fn path_of(&self, tokens: &[Option<u32>]) -> String {
        if tokens.is_empty() {
            return "/".to_owned();
        }
        let mut path = String::new();
        for token in tokens {
            path.push('/');
            // `%00` is no literal: literal segments never hold `%`.
            path.push_str(token.map_or("%00", |id| self.literals[id as usize].as_str()));
        }
        path
    }
}

/// The paths two segment sequences both match, up to a length, each offered to `found`
/// until it says yes.
struct Walk<'a, F: FnMut(&[Option<u32>]) -> bool> {
    x: &'a [Element],
    y: &'a [Element],
    limit: usize,
    tokens: Vec<Option<u32>>,
    found: &'a mut F,
}

impl<F: FnMut(&[Option<u32>]) -> bool> Walk<'_, F> {
    fn from(&mut self, i: usize, j: usize) -> bool {
        let (a, b) = (self.x.get(i).copied(), self.y.get(j).copied());
        if a.is_none() && b.is_none() {
            return (self.found)(&self.tokens);
        }
        // A `Many` may end here.
        if a == Some(Element::Many) && self.from(i + 1, j) {
            return true;
        }
        if b == Some(Element::Many) && self.from(i, j + 1) {
            return true;
        }
        let (Some(a), Some(b)) = (a, b) else {
            return false;
        };
        if self.tokens.len() == self.limit {
            return false;
        }
        // One segment both read: a literal either side fixes, or one no literal equals.
        let token = match (a, b) {
            (Element::Literal(p), Element::Literal(q)) if p != q => return false,
            (Element::Literal(p), _) | (_, Element::Literal(p)) => Some(p),
            _ => None,
        };
        let next_i = if a == Element::Many { i } else { i + 1 };
        let next_j = if b == Element::Many { j } else { j + 1 };
        self.tokens.push(token);
        let found = self.from(next_i, next_j);
        self.tokens.pop();
        found
    }
}

fn effective_methods(table: &RouteTable) -> Vec<u8> {
    let bit = |method: RouteMethod| {
        RouteMethod::CONCRETE
            .iter()
            .position(|m| *m == method)
            .map_or(0, |i| 1u8 << i)
    };
    let mut own_by_path: HashMap<String, u8> = HashMap::new();
    for route in table.routes() {
        *own_by_path.entry(route.path.shape()).or_default() |= bit(route.method);
    }
    table
        .routes()
        .iter()
        .map(|route| match route.method {
            RouteMethod::Any => !own_by_path[&route.path.shape()] & 0x7f,
            method => bit(method),
        })
        .collect()
}

/// Whether some sequence of segments is matched by both `x` and `y`. `can[i][j]`: the rest
/// of `x` from `i` and of `y` from `j` match something in common; filled from the ends.
fn intersect(x: &[Element], y: &[Element], can: &mut Vec<bool>) -> bool {
    let width = y.len() + 1;
    can.clear();
    can.resize((x.len() + 1) * width, false);
    let at = |i: usize, j: usize| i * width + j;
    for i in (0..=x.len()).rev() {
        for j in (0..=y.len()).rev() {
            let value = match (x.get(i), y.get(j)) {
                (None, None) => true,
                // A `Many` ends here, or takes the segment the other side reads.
                (Some(Element::Many), _) if can[at(i + 1, j)] => true,
                (_, Some(Element::Many)) if can[at(i, j + 1)] => true,
                (Some(Element::Many), Some(_)) => can[at(i, j + 1)],
                (Some(_), Some(Element::Many)) => can[at(i + 1, j)],
                (Some(a), Some(b)) => compatible(*a, *b) && can[at(i + 1, j + 1)],
                _ => false,
            };
            can[at(i, j)] = value;
        }
    }
    can[at(0, 0)]
}

fn compatible(a: Element, b: Element) -> bool {
    match (a, b) {
        (Element::Literal(x), Element::Literal(y)) => x == y,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaches(text: &str) -> Vec<Vec<u32>> {
        let table = RouteTable::parse(text).unwrap();
        Shapes::of(&table).reaches(&table)
    }

    #[test]
    fn a_parameter_pattern_reaches_deeper_routes_of_its_method() {
        let found = reaches(
            "routes:
  - {method: GET,  path: /orders,               scope: r}
  - {method: GET,  path: '/orders/{id}',          scope: r}
  - {method: GET,  path: '/orders/{id}/refunds',  scope: a}
  - {method: POST, path: '/orders/{id}/refunds',  scope: w}
  - {method: ANY,  path: '/admin/{proxy+}',       scope: a}
  - {method: GET,  path: /admin/users,          scope: u}
  - {method: GET,  path: /orders/summary,       scope: s}
",
        );
        // GET /orders reaches nothing; GET /orders/* reaches the refunds and the summary.
        assert_eq!(found[0], Vec::<u32>::new());
        assert_eq!(found[1], vec![2, 6]);
        // GET /orders/*/refunds reaches nothing else of GET (POST is another method).
        assert_eq!(found[2], Vec::<u32>::new());
        // ANY /admin/* reaches GET /admin/users; GET /admin/users reaches nothing: its one
        // path is the greedy route's too, but API Gateway routes it to the literal route.
        assert_eq!(found[4], vec![5]);
        assert_eq!(found[5], Vec::<u32>::new());
        // Nor does the literal /orders/summary reach GET /orders/{id}.
        assert_eq!(found[6], Vec::<u32>::new());
    }

    #[test]
    fn stars_span_several_segments_in_the_middle_too() {
        let found = reaches(
            "routes:
  - {method: GET, path: '/a/{x}/c',       scope: r}
  - {method: GET, path: '/a/{x}/b/{y}/c', scope: s}
  - {method: GET, path: '/a/{x}/d',       scope: s}
",
        );
        // a/*/c matches a/1/b/2/c; a/*/b/*/c does not match a/1/c (it needs 5 segments).
        assert_eq!(found[0], vec![1]);
        assert_eq!(found[1], Vec::<u32>::new());
        assert_eq!(found[2], Vec::<u32>::new());
    }
}
