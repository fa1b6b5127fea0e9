/* state.h: the typed states of the domain: a participant's, a round's, a
 * partnership's, an inbound message's outcome and an outbox mail's. Each enum has one
 * table of the words the store keeps (state.c), read by the *_name and *_parse
 * functions, so no file compares status strings. The words are the schema's (store.c's
 * CHECK constraints); test_store checks that the schema accepts every one. */
#ifndef ILN_STATE_H
#define ILN_STATE_H

enum participant_status {
	PARTICIPANT_ACTIVE, PARTICIPANT_WITHDRAWN, PARTICIPANT_NSTATUS
};

enum round_status {
	ROUND_OPEN, ROUND_PREVIEWED, ROUND_RUNNING, ROUND_CLOSED, ROUND_NSTATUS
};

enum partnership_status {
	PARTNERSHIP_PROPOSED, PARTNERSHIP_ACTIVE, PARTNERSHIP_ENDED, PARTNERSHIP_DISSOLVED,
	PARTNERSHIP_NSTATUS
};

/* What became of an inbound message (the inbound log). */
enum outcome {
	OUTCOME_RECEIVED,       /* recorded, not yet acted on */
	OUTCOME_DONE,           /* the command was carried out (or its token sent) */
	OUTCOME_REFUSED,        /* answered with why not */
	OUTCOME_UNKNOWN,        /* not a command: answered with HELP */
	OUTCOME_IGNORED,        /* automated, our own, or past a limit: no answer */
	OUTCOME_REJECTED,       /* unparseable or unusable: set aside */
	OUTCOME_NSTATUS
};

enum outbox_status {
	OUTBOX_QUEUED, OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_NSTATUS
};

enum topic_status {
	TOPIC_QUEUED, TOPIC_SENT, TOPIC_CANCELLED, TOPIC_NSTATUS
};

/* A partner's answer to the end-of-round reminder, and how a partnership ended. */
enum partner_choice {
	CHOICE_NONE, CHOICE_CONTINUE, CHOICE_CONCLUDE, CHOICE_NSTATUS
};

enum partnership_end {
	END_NONE, END_CONTINUING, END_CONCLUDED, END_NSTATUS
};

enum report_kind {
	REPORT_NO_RESPONSE, REPORT_OTHER, REPORT_NKINDS
};

enum report_status {
	REPORT_OPEN,            /* waiting for the partner or the coordinators */
	REPORT_ANSWERED,        /* the silent partner wrote to us in time */
	REPORT_RESOLVED,        /* a coordinator resolved it */
	REPORT_DISSOLVED,       /* the partnership was dissolved over it */
	REPORT_NSTATUS
};

/* Why someone waits for a partner mid-round. */
enum waiting_reason {
	WAIT_UNMATCHED,         /* no partner at APPROVE */
	WAIT_ABANDONED,         /* the partner left (withdrew, was erased, dissolved it) */
	WAIT_DISSOLVED,         /* asked to dissolve */
	WAIT_SILENT,            /* did not answer a nudge: back once they write */
	WAIT_NREASONS
};

/* How a bounce record (the bounces table) counts against an address. */
enum bounce_record {
	BOUNCE_RECORD_PERMANENT,        /* a permanent failure (5.x.x, a refused RCPT) */
	BOUNCE_RECORD_TEMPORARY,        /* a temporary one: only counted */
	BOUNCE_RECORD_COMPLAINT,        /* an ARF complaint */
	BOUNCE_RECORD_UNTRACED,         /* a bounce that names no mail of ours */
	BOUNCE_NRECORDS
};

/* *_name: the stored word ("active", "previewed", ...); "?" for a value out of range.
 * *_parse: the value of a stored word; 0, or -1 (and *out untouched) when unknown. */
const char *participant_status_name(enum participant_status s);
int participant_status_parse(const char *word, enum participant_status *out);
const char *round_status_name(enum round_status s);
int round_status_parse(const char *word, enum round_status *out);
const char *partnership_status_name(enum partnership_status s);
int partnership_status_parse(const char *word, enum partnership_status *out);
const char *outcome_name(enum outcome o);
int outcome_parse(const char *word, enum outcome *out);
const char *outbox_status_name(enum outbox_status s);
int outbox_status_parse(const char *word, enum outbox_status *out);
const char *topic_status_name(enum topic_status s);
int topic_status_parse(const char *word, enum topic_status *out);
const char *partner_choice_name(enum partner_choice c);
int partner_choice_parse(const char *word, enum partner_choice *out);
const char *partnership_end_name(enum partnership_end e);
int partnership_end_parse(const char *word, enum partnership_end *out);
const char *report_kind_name(enum report_kind k);
int report_kind_parse(const char *word, enum report_kind *out);
const char *report_status_name(enum report_status s);
int report_status_parse(const char *word, enum report_status *out);
const char *waiting_reason_name(enum waiting_reason r);
int waiting_reason_parse(const char *word, enum waiting_reason *out);
const char *bounce_record_name(enum bounce_record b);
int bounce_record_parse(const char *word, enum bounce_record *out);

/* state_shown: how people read a stored word of kind ("participant", "partnership",
 * "end", "report_kind", "report", "waiting", "round", "bounce") in language lang (NULL: the
 * default set): the [messages] status.<kind>.<word> of the words table, else the word
 * itself. The string belongs to the table (or is word). */
const char *state_shown(const char *lang, const char *kind, const char *word);

#endif
