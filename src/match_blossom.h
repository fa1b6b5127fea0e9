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

#endif
