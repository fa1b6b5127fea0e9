/* match_report.h: the bridge between stored participants and the pure matching engine:
 * builds the engine's pool from store rows, and turns its result into the words
 * coordinators and participants read. No I/O; every char * returned is the caller's. */
#ifndef ILN_MATCH_REPORT_H
#define ILN_MATCH_REPORT_H

#include <stdint.h>

#include "match.h"
#include "store.h"

/* match_pool_from_rows: pool index i is rows[i]. Caller frees with match_pool_free. */
struct match_pool *match_pool_from_rows(const struct pool_row *rows, int n);
/* One line on why a pair was made: countries, sectors, stages, languages, interests,
 * and each stated preference met or not (for coordinators only: it names preferences),
 * in language lang (NULL: the default set's). */
char *match_pair_why(const struct pool_row *rows, const struct match_pair *pp,
		     const char *lang);
/* Why someone is unmatched and what change would help, addressed to that person, in
 * language lang (NULL: the default set's). */
char *match_unmatched_why(const struct pool_row *rows, const struct match_unmatched *u,
			  const char *lang);
/* The preview coordinators read is match_preview.c's. */
/* match_weights_from_conf-like helper lives in program_round.c (needs struct conf). */

#endif
