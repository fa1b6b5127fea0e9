/*
 * match_blossom.h: exact maximum-cardinality, maximum-weight matching on a
 * general graph (Edmonds' blossom algorithm, primal-dual, integer arithmetic).
 * The caller owns every array; nothing is kept after the call returns.
 */
#ifndef ILN_MATCH_BLOSSOM_H
#define ILN_MATCH_BLOSSOM_H

#include <stdint.h>

/*
 * n vertices 0..n-1, m edges (eu[i], ev[i]) with weight ew[i] (any sign,
 * |w| < 2^40). No self-loops; parallel edges are allowed. On return mate[v]
 * is v's partner or -1. Among all matchings of maximum cardinality the result
 * has maximum total weight. Deterministic: same input, same output.
 * Returns the number of pairs.
 */
int blossom_solve(int n, int m, const int *eu, const int *ev,
    const int64_t *ew, int *mate);

/*
 * The same, and also the final labels, a proof that no matching of the graph
 * is larger (Gallai-Edmonds): lab[v] is BLOSSOM_EVEN, BLOSSOM_ODD or
 * BLOSSOM_OUT and blos[v] names v's outermost blossom. Every edge of the
 * graph at an even vertex ends at an odd vertex or in the same blossom; the
 * even blossoms are odd sets, each with one more even blossom than odd
 * vertices per free vertex. So a larger graph on the same vertices has no
 * larger matching when it, too, has no edge from an even vertex to a vertex
 * that is neither odd nor in the same blossom. lab, blos: n each, or NULL.
 */
enum { BLOSSOM_OUT = 0, BLOSSOM_EVEN = 1, BLOSSOM_ODD = 2 };

int blossom_solve_cert(int n, int m, const int *eu, const int *ev,
    const int64_t *ew, int *mate, int *lab, int *blos);

#endif
