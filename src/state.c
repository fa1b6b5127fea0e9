/* state.c: the words of the typed states (see state.h), one table per enum, and how
 * people read them in their language (the words table, words.h). */
#include <stdio.h>
#include <string.h>

#include "state.h"
#include "util.h"
#include "words.h"

static const char *const participant_words[PARTICIPANT_NSTATUS] = {
	[PARTICIPANT_ACTIVE] = "active", [PARTICIPANT_WITHDRAWN] = "withdrawn",
};

static const char *const round_words[ROUND_NSTATUS] = {
	[ROUND_OPEN] = "open", [ROUND_PREVIEWED] = "previewed", [ROUND_RUNNING] = "running",
	[ROUND_CLOSED] = "closed",
};

static const char *const partnership_words[PARTNERSHIP_NSTATUS] = {
	[PARTNERSHIP_PROPOSED] = "proposed", [PARTNERSHIP_ACTIVE] = "active",
	[PARTNERSHIP_ENDED] = "ended", [PARTNERSHIP_DISSOLVED] = "dissolved",
};

static const char *const outcome_words[OUTCOME_NSTATUS] = {
	[OUTCOME_RECEIVED] = "received", [OUTCOME_DONE] = "done", [OUTCOME_REFUSED] = "refused",
	[OUTCOME_UNKNOWN] = "unknown", [OUTCOME_IGNORED] = "ignored",
	[OUTCOME_REJECTED] = "rejected",
};

static const char *const outbox_words[OUTBOX_NSTATUS] = {
	[OUTBOX_QUEUED] = "queued", [OUTBOX_SENT] = "sent", [OUTBOX_FAILED] = "failed",
};

static const char *const topic_words[TOPIC_NSTATUS] = {
	[TOPIC_QUEUED] = "queued", [TOPIC_SENT] = "sent", [TOPIC_CANCELLED] = "cancelled",
};

static const char *const choice_words[CHOICE_NSTATUS] = {
	[CHOICE_NONE] = "", [CHOICE_CONTINUE] = "continue", [CHOICE_CONCLUDE] = "conclude",
};

static const char *const end_words[END_NSTATUS] = {
	[END_NONE] = "", [END_CONTINUING] = "continuing", [END_CONCLUDED] = "concluded",
};

static const char *const report_kind_words[REPORT_NKINDS] = {
	[REPORT_NO_RESPONSE] = "no_response", [REPORT_OTHER] = "other",
};

static const char *const report_words[REPORT_NSTATUS] = {
	[REPORT_OPEN] = "open", [REPORT_ANSWERED] = "answered", [REPORT_RESOLVED] = "resolved",
	[REPORT_DISSOLVED] = "dissolved",
};

static const char *const waiting_words[WAIT_NREASONS] = {
	[WAIT_UNMATCHED] = "unmatched", [WAIT_ABANDONED] = "abandoned",
	[WAIT_DISSOLVED] = "dissolved", [WAIT_SILENT] = "silent",
};

static const char *const bounce_record_words[BOUNCE_NRECORDS] = {
	[BOUNCE_RECORD_PERMANENT] = "permanent", [BOUNCE_RECORD_TEMPORARY] = "temporary",
	[BOUNCE_RECORD_COMPLAINT] = "complaint", [BOUNCE_RECORD_UNTRACED] = "untraced",
};

static const char *
word_of(const char *const *words, int n, int v)
{
	return v >= 0 && v < n && words[v] ? words[v] : "?";
}

static int
value_of(const char *const *words, int n, const char *word)
{
	for (int i = 0; word && i < n; i++)
		if (strcmp(words[i], word) == 0)
			return i;
	return -1;
}

#define STATE_FUNCS(prefix, type, words)                                        \
	const char *prefix##_name(type s)                                       \
	{                                                                       \
		return word_of(words, (int)nitems(words), (int)s);              \
	}                                                                       \
	int prefix##_parse(const char *word, type *out)                         \
	{                                                                       \
		int v = value_of(words, (int)nitems(words), word);              \
									\
		if (v < 0)                                                      \
			return -1;                                              \
		*out = (type)v;                                                 \
		return 0;                                                       \
	}

STATE_FUNCS(participant_status, enum participant_status, participant_words)
STATE_FUNCS(round_status, enum round_status, round_words)
STATE_FUNCS(partnership_status, enum partnership_status, partnership_words)
STATE_FUNCS(outcome, enum outcome, outcome_words)
STATE_FUNCS(outbox_status, enum outbox_status, outbox_words)
STATE_FUNCS(topic_status, enum topic_status, topic_words)
STATE_FUNCS(partner_choice, enum partner_choice, choice_words)
STATE_FUNCS(partnership_end, enum partnership_end, end_words)
STATE_FUNCS(report_kind, enum report_kind, report_kind_words)
STATE_FUNCS(report_status, enum report_status, report_words)
STATE_FUNCS(waiting_reason, enum waiting_reason, waiting_words)
STATE_FUNCS(bounce_record, enum bounce_record, bounce_record_words)

const char *
state_shown(const char *lang, const char *kind, const char *word)
{
	char key[96];
	const char *shown;

	if (word == NULL || *word == '\0')
		return word;
	snprintf(key, sizeof(key), "status.%s.%s", kind, word);
	shown = words_get(lang, "messages", key);
	return shown ? shown : word;
}
