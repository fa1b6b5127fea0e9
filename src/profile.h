/* profile.h: the domain model of a participant's application (SPEC §3): struct profile,
 * the sector and stage lists, the stage rule, and the JSON a pending application waits
 * in. The store, the form parser and matching all include this; nothing here does I/O.
 * A profile owns its strings (profile_free); every char * returned is the caller's. */
#ifndef ILN_PROFILE_H
#define ILN_PROFILE_H

#include <stdbool.h>

/* The stage rule: early < PROFILE_MID_YEARS <= mid < PROFILE_LATE_YEARS <= late. */
#define PROFILE_MID_YEARS 5
#define PROFILE_LATE_YEARS 15
#define PROFILE_YEARS_MAX 70

enum profile_sector {
	SECTOR_PUBLIC, SECTOR_ACADEMIC, SECTOR_SCHOOL, SECTOR_SPECIAL, SECTOR_NATIONAL,
	SECTOR_GOVERNMENT, SECTOR_OTHER, PROFILE_NSECTORS
};

enum profile_stage {
	STAGE_EARLY, STAGE_MID, STAGE_LATE, PROFILE_NSTAGES
};

/* "public", "academic", ... in enum order (the order lists are written in). */
extern const char *const profile_sector_names[PROFILE_NSECTORS];
/* "early", "mid", "late". */
extern const char *const profile_stage_names[PROFILE_NSTAGES];

struct profile {
	char *name;
	char *country;          /* ISO 3166 alpha-2 */
	char *sector;           /* one of profile_sector_names */
	char *workplace;
	int years;              /* -1 unset */
	char *interests;        /* "a, b, c" as written, duplicates (ASCII case) dropped */
	char *languages;        /* ISO 639-3 codes "por,eng" */
	char *about;
	char *partner_sector;   /* "same" | "any" | "public,academic" (in the order of
				 * profile_sector_names) */
	char *partner_stage;    /* "different" | "same" | "any" | "early,mid" (in order) */
	char *notes;
	int digest;             /* 1 yes, 0 no, -1 unset */
	char *mail_language;    /* the Mail language field: an ISO 639-3 code, NULL unset */
};

/* profile_init: all unset (NULL strings, years and digest -1). */
void profile_init(struct profile *p);
/* profile_free: frees the strings, not p, and leaves p as profile_init does. */
void profile_free(struct profile *p);
/* profile_copy: deep copy into dst, which is overwritten (not freed first). */
void profile_copy(struct profile *dst, const struct profile *src);

/* profile_sector_of: the sector named (case-insensitive), or -1. */
int profile_sector_of(const char *name);
/* profile_stage_of: the stage of years >= 0 in the profession. */
enum profile_stage profile_stage_of(int years);
/* "early", "mid" or "late" by the stage rule; NULL when years < 0. */
const char *profile_stage(int years);

/* profile_to_json: the profile as one JSON object (caller frees). */
char *profile_to_json(const struct profile *prof);
/* profile_from_json: *prof (overwritten) from profile_to_json's text; 0, or -1 when s is
 * not such an object. The caller profile_free()s *prof either way. */
int profile_from_json(const char *s, struct profile *prof);

#endif
