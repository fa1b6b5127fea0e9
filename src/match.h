/*
 * match.h: the pairing engine (SPEC §4). Pure: no I/O, no SQL, no clock.
 *
 * The caller builds a pool of eligible people (match_pool_add copies each
 * person, including the forbidden-partner ids), runs match_run, renders the
 * result and frees it with match_result_free; the pool is freed with
 * match_pool_free. Indices in the result refer to the order of addition.
 *
 * Allowed pair: different countries, at least one shared language, neither
 * lists the other as a previous partner.
 *
 * Weight of an allowed pair X-Y (integers, struct match_weights):
 *   for each side, for each of its two wishes (partner sector, partner stage):
 *     explicit wish met   -> explicit_met
 *     default wish met    -> default_met   (defaults: same sector, other stage)
 *     wish "any" or unmet -> 0
 *   plus interest * min(shared interests, max_interests).
 * match_weights_valid() enforces: explicit_met > 4 * default_met +
 * interest * max_interests, i.e. one explicit wish met outweighs all default
 * wishes and shared interests of a pair together.
 *
 * Matching: maximum cardinality first, then maximum total weight (exact).
 * Pools of up to MATCH_FULL_MAX people always use every allowed pair. Larger
 * pools with prune_k > 0 keep each person's best prune_k edges (see match.c).
 *
 * Candidates (for explanations): an allowed partner Y is a candidate of X when
 * Y meets every wish of X (its explicit wishes, or the defaults). The
 * relaxation counts say how many allowed partners X would have as candidates
 * with "Partner stage: any" or with "Partner sector: any".
 */
#ifndef ILN_MATCH_H
#define ILN_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

#define MATCH_FULL_MAX		2000
#define MATCH_MAX_LANGS		8
#define MATCH_MAX_INTERESTS	32
#define MATCH_MAX_FORBIDDEN	1024
#define MATCH_MAX_PEOPLE	1000000

/* SAME and DIFFERENT compare with the person's own value; SET uses the mask
 * (bit 1 << enum value). DIFFERENT is meant for the stage, but works for both. */
enum match_pref_mode {
	MATCH_PREF_SAME, MATCH_PREF_DIFFERENT, MATCH_PREF_ANY, MATCH_PREF_SET
};

struct match_pref {
	enum match_pref_mode	mode;
	unsigned		set;
	bool			stated;	/* the person wrote it (explicit) */
};

struct match_person {
	int64_t			id;
	char			country[3];	/* ISO 3166 alpha-2 */
	enum profile_sector	sector;
	enum profile_stage	stage;
	struct match_pref	want_sector;	/* default SAME, not stated */
	struct match_pref	want_stage;	/* default DIFFERENT, not stated */
	int			nlangs;
	int			langs[MATCH_MAX_LANGS];
	int			ninterests;
	int			interests[MATCH_MAX_INTERESTS];
	int			priority;	/* 0, or higher to be matched first (a
						   partner left alone mid-round) */
	int			nforbidden;	/* ids of previous partners */
	const int64_t		*forbidden;	/* copied by match_pool_add */
	int64_t			keep_with;	/* 0, or the id of the partner of the
						   previous proposal (keep_ties) */
};

/* The defaults of [matching] (conf.c reads them from here) and the largest weight. */
#define MATCH_WEIGHT_EXPLICIT	100
#define MATCH_WEIGHT_DEFAULT	10
#define MATCH_WEIGHT_INTEREST	3
#define MATCH_INTERESTS_COUNTED	5
#define MATCH_PRUNE_K		50
#define MATCH_WEIGHT_MAX	1000000

struct match_weights {
	int	explicit_met;	/* [matching] weight_explicit */
	int	default_met;	/* [matching] weight_default */
	int	interest;	/* [matching] weight_interest */
	int	max_interests;	/* [matching] max_interests */
};

enum match_wish {
	MATCH_WISH_NONE,	/* "any": nothing asked */
	MATCH_WISH_MET,
	MATCH_WISH_NOT_MET
};

/* What one side's wishes got from its partner. */
struct match_side {
	enum match_wish	sector, stage;
	bool		sector_stated, stage_stated;
};

struct match_pair {
	int			a, b;		/* pool indices, a < b */
	int64_t			weight;
	struct match_side	side[2];	/* side[0] is a's wishes */
	int			nshared_langs;
	int			shared_langs[MATCH_MAX_LANGS];
	int			nshared_interests;
};

enum match_reason {
	MATCH_REASON_NO_OTHER_COUNTRY,	/* nobody from another country */
	MATCH_REASON_NO_SHARED_LANGUAGE, /* nobody abroad shares a language */
	MATCH_REASON_ONLY_PREVIOUS,	/* all such people are previous partners */
	MATCH_REASON_ALL_TAKEN		/* every allowed partner got someone else */
};

struct match_unmatched {
	int			idx;
	enum match_reason	reason;
	int			nallowed;	/* allowed partners (both wishes "any") */
	int			ncandidates;	/* allowed partners meeting both wishes */
	int			ncand_stage_any;  /* ... meeting the sector wish */
	int			ncand_sector_any; /* ... meeting the stage wish */
};

struct match_totals {
	int	people, pairs, unmatched;
	int64_t	weight;
	int64_t	edges;		/* edges in the graph solved */
	int	wishes;		/* wishes of matched people other than "any" */
	int	wishes_met;
	double	wish_share;	/* wishes_met / wishes, 1.0 when none */
	bool	pruned;
	int	prune_k;
	int	addback_rounds;	/* pruned: re-solves after adding edges back */
	int	card_bound;	/* upper bound on the full graph's cardinality */
	bool	card_proven;	/* pairs equals the full graph's maximum */
	int64_t	weight_lost;	/* full minus pruned weight; -1 if unknown */
};

struct match_result {
	struct match_pair	*pairs;
	int			 npairs;
	struct match_unmatched	*unmatched;
	int			 nunmatched;
	struct match_totals	 totals;
};

struct match_options {
	int	prune_k;	/* 0: full graph */
	int	full_max;	/* pools up to this size use the full graph; 0 means
				   MATCH_FULL_MAX (tests may set it lower) */
	bool	compare_full;	/* pruned: also solve the full graph for weight_lost */
	bool	keep_ties;	/* among matchings of equal cardinality and weight,
				   the one keeping most keep_with pairs */
};

void match_person_init(struct match_person *p);
void match_weights_default(struct match_weights *w);
bool match_weights_valid(const struct match_weights *w);

struct match_pool *match_pool_new(void);
/* Copies *p. Returns -1 (pool unchanged) on a bad value or a full pool. */
int match_pool_add(struct match_pool *pool, const struct match_person *p);
int match_pool_size(const struct match_pool *pool);
/* The partner person idx had in the previous proposal (for keep_ties). */
void match_pool_keep(struct match_pool *pool, int idx, int64_t partner_id);
const struct match_person *match_pool_get(const struct match_pool *pool, int idx);
void match_pool_free(struct match_pool *pool);

/* What each unit of a person's priority adds to the weight of their pairs. */
int64_t match_priority_weight(const struct match_weights *w);

/* Weight of the pair (i, j) if allowed, else -1. */
int64_t match_pair_weight(const struct match_pool *pool,
    const struct match_weights *w, int i, int j);

/* NULL weights means the defaults. Result freed by match_result_free. */
struct match_result *match_run(const struct match_pool *pool,
    const struct match_weights *w, int prune_k);
struct match_result *match_run_opts(const struct match_pool *pool,
    const struct match_weights *w, const struct match_options *opt);
void match_result_free(struct match_result *r);

/* The graph match_run would solve (for benchmarks and oracle tests):
 * *eu, *ev, *ew malloc'd, caller frees. Returns the edge count. */
int64_t match_graph(const struct match_pool *pool,
    const struct match_weights *w, int prune_k, int full_max,
    int **eu, int **ev, int64_t **ew);

#endif
