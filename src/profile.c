/* profile.c: the participant's profile (see profile.h): lifetime, the sector and stage
 * lists with the stage rule, and the JSON form a pending application waits in (the
 * payload of its confirmation token). */
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"
#include "util.h"

const char *const profile_sector_names[PROFILE_NSECTORS] = {
	"public", "academic", "school", "special", "national", "government", "other",
};

const char *const profile_stage_names[PROFILE_NSTAGES] = { "early", "mid", "late" };

void
profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->years = -1;
	p->digest = -1;
}

void
profile_free(struct profile *p)
{
	free(p->name);
	free(p->country);
	free(p->sector);
	free(p->workplace);
	free(p->interests);
	free(p->languages);
	free(p->about);
	free(p->partner_sector);
	free(p->partner_stage);
	free(p->notes);
	free(p->mail_language);
	profile_init(p);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
profile_copy(struct profile *dst, const struct profile *src)
{
	dst->name = dup_or_null(src->name);
	dst->country = dup_or_null(src->country);
	dst->sector = dup_or_null(src->sector);
	dst->workplace = dup_or_null(src->workplace);
	dst->years = src->years;
	dst->interests = dup_or_null(src->interests);
	dst->languages = dup_or_null(src->languages);
	dst->about = dup_or_null(src->about);
	dst->partner_sector = dup_or_null(src->partner_sector);
	dst->partner_stage = dup_or_null(src->partner_stage);
	dst->notes = dup_or_null(src->notes);
	dst->digest = src->digest;
	dst->mail_language = dup_or_null(src->mail_language);
}

int
profile_sector_of(const char *name)
{
	for (int i = 0; name && i < PROFILE_NSECTORS; i++)
		if (strcasecmp(name, profile_sector_names[i]) == 0)
			return i;
	return -1;
}

enum profile_stage
profile_stage_of(int years)
{
	if (years < PROFILE_MID_YEARS)
		return STAGE_EARLY;
	return years < PROFILE_LATE_YEARS ? STAGE_MID : STAGE_LATE;
}

const char *
profile_stage(int years)
{
	return years < 0 ? NULL : profile_stage_names[profile_stage_of(years)];
}

/* The string fields and their JSON keys, in one list. */
static const struct {
	const char *key;
	size_t off;
} json_fields[] = {
	{ "name", offsetof(struct profile, name) },
	{ "country", offsetof(struct profile, country) },
	{ "sector", offsetof(struct profile, sector) },
	{ "workplace", offsetof(struct profile, workplace) },
	{ "interests", offsetof(struct profile, interests) },
	{ "languages", offsetof(struct profile, languages) },
	{ "about", offsetof(struct profile, about) },
	{ "partner_sector", offsetof(struct profile, partner_sector) },
	{ "partner_stage", offsetof(struct profile, partner_stage) },
	{ "notes", offsetof(struct profile, notes) },
	{ "mail_language", offsetof(struct profile, mail_language) },
};

static char **
field_at(struct profile *p, size_t off)
{
	return (char **)((char *)p + off);
}

char *
profile_to_json(const struct profile *prof)
{
	struct json_object *o = json_object_new_object();
	char *s;

	for (size_t i = 0; i < nitems(json_fields); i++) {
		const char *v = *field_at((struct profile *)prof, json_fields[i].off);

		json_object_object_add(o, json_fields[i].key, json_object_new_string(v ? v : ""));
	}
	json_object_object_add(o, "years", json_object_new_int(prof->years));
	json_object_object_add(o, "digest", json_object_new_int(prof->digest));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int
profile_from_json(const char *s, struct profile *prof)
{
	struct json_object *o = json_tokener_parse(s), *v;

	profile_init(prof);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	for (size_t i = 0; i < nitems(json_fields); i++) {
		const char *str = "";

		if (json_object_object_get_ex(o, json_fields[i].key, &v))
			str = json_object_get_string(v);
		*field_at(prof, json_fields[i].off) = xstrdup(str ? str : "");
	}
	prof->years = json_object_object_get_ex(o, "years", &v) ? json_object_get_int(v) : -1;
	prof->digest = json_object_object_get_ex(o, "digest", &v) ? json_object_get_int(v) : 0;
	json_object_put(o);
	return 0;
}
