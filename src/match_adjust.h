/* match_adjust.h: a coordinator's adjustments of a proposal before APPROVE (SPEC §4), and
 * the matching solved again around them. Pure: no I/O, no SQL, no clock.
 *
 * The round keeps its adjustments as a log in the order they were made; adjust_replay
 * turns the log into what holds now:
 *   pair A B     A and B are locked together (any older lock of either, an unpair of
 *                the two and an exclusion of either are undone)
 *   unpair A B   A and B (A's partner when it was sent) are not proposed together again
 *                this round (a lock of A is undone)
 *   exclude A    A is out of this round's matching (a lock of A is undone)
 * match_run_adjusted solves the rest with the same engine and rules, exact, the locked
 * pairs added as they are; among equally good matchings it keeps most of the previous
 * proposal's pairs (match_options.keep_ties). Who frees what is said per function. */
#ifndef ILN_MATCH_ADJUST_H
#define ILN_MATCH_ADJUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "store.h"

enum adjust_kind { ADJUST_PAIR, ADJUST_UNPAIR, ADJUST_EXCLUDE };

struct adjust {
	enum adjust_kind kind;
	int64_t a, b;           /* participant ids; b is 0 for an exclusion */
};

/* What holds after the log: arrays the caller frees with adjust_set_free. */
struct adjust_set {
	struct adjust *locks, *unpairs;
	int nlocks, nunpairs;
	int64_t *excluded;
	int nexcluded;
};

/* adjust_replay: *s from log[0..n) in order (s is overwritten). */
void adjust_replay(const struct adjust *log, int n, struct adjust_set *s);
void adjust_set_free(struct adjust_set *s);
/* "pair", "unpair", "exclude" (the words of the body lines and of the store). */
const char *adjust_kind_name(enum adjust_kind k);
bool adjust_is_excluded(const struct adjust_set *s, int64_t id);

/* adjust_pair_refusal: NULL when rows[i] and rows[j] may be paired, else the hard rule
 * the pair breaks, as the key of its sentence in messages.ini: a static string,
 * "round.adjust.refused." and self, same_country (its {{country}} the country both are
 * from), no_language or previous. */
const char *adjust_pair_refusal(const struct pool_row *rows, int i, int j);

/* A matching over rows[0..n): pair and unmatched indices are indices of rows; the
 * excluded are in neither. locked[k] says pair k is a coordinator's lock. */
struct adjusted {
	struct match_result *r;
	bool *locked;           /* r->npairs entries */
	int *excluded;          /* row indices */
	int nexcluded;
	int nlocked;
};

/* match_run_adjusted: prev[0..nprev) are the previous proposal's pairs as participant
 * ids (kept among equals; may be 0). Returns 0; *out is freed with adjusted_free. */
int match_run_adjusted(const struct pool_row *rows, int n, const struct adjust_set *s,
		       const struct adjust *prev, int nprev, const struct match_weights *w,
		       const struct match_options *o, struct adjusted *out);
void adjusted_free(struct adjusted *a);

#endif
