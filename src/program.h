/* program.h: the program's rules. program_handle() decides what one parsed command
 * message does to the store and which mail it causes, inside the transaction the caller
 * opened (process.c); nothing here talks to a server. The struct program is borrowed. */
#ifndef ILN_PROGRAM_H
#define ILN_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct store;
struct tmpl_set;
struct msg;
struct cmd;
struct tmpl_var;

struct program {
	const struct conf *conf;
	struct store *st;
	const struct tmpl_set *tmpl;
	int64_t now;
};

/* One inbound message being handled: what the rules read and what they report. */
struct program_in {
	const struct msg *m;
	int64_t inbound_id;
	int nreplies;              /* replies queued so far for this message */
	const char *outcome;       /* static: "done", "refused", ... for the inbound log */
	char detail[256];          /* one line for the log: what was done or why not */
};

/* program_handle: act on m; 0, or -1 on a store error (the caller rolls back). */
int program_handle(struct program *p, struct program_in *in);

/* One mail made from a template and queued in the outbox under a unique key (the same
 * key never queues twice). With a parent it is a threaded reply (auto-replied);
 * without, scheduled or generated mail (auto-generated). All pointers are borrowed. */
struct mail_header;
struct outmail {
	const char *tmpl;
	const struct tmpl_var *vars;
	size_t nvars;
	const char *const *to;
	size_t nto;
	const char *const *cc;
	size_t ncc;
	const char *const *reply_to;
	size_t nreply_to;
	const char *key;
	const struct msg *parent;
	const struct mail_header *extra;
	size_t nextra;
	const char *attach_name, *attach_type, *attach_data;
	size_t attach_len;
};
int outmail_queue(struct program *p, const struct outmail *om);

/* reply_queue: render template tmpl_name, thread it to the inbound message, send it to
 * `to` (NULL = the sender) and queue it in the outbox. Applies the per-sender daily cap:
 * past it one "no more today" notice, then silence. 0 queued or suppressed, -1 error. */
int reply_queue(struct program *p, struct program_in *in, const char *tmpl_name,
		const struct tmpl_var *vars, size_t nvars, const char *to, const char *cc);

/* reply_queue_mail: the same for a prepared outmail (e.g. with an attachment); its key,
 * parent and, when it names no recipient, its To are filled in here. */
int reply_queue_mail(struct program *p, struct program_in *in, struct outmail *om);

/* Handlers, one per command group (program_*.c). */
int program_signup(struct program *p, struct program_in *in);
int program_confirm(struct program *p, struct program_in *in, const char *token);
int program_show(struct program *p, struct program_in *in);
int program_update(struct program *p, struct program_in *in);
int program_status(struct program *p, struct program_in *in);
int program_ask_confirmation(struct program *p, struct program_in *in, const char *action,
			     const char *arg);
int program_unsubscribe(struct program *p, struct program_in *in);
int program_coordinator(struct program *p, struct program_in *in, const struct cmd *c);
int program_coordinator_confirmed(struct program *p, struct program_in *in, const char *payload);

/* Rounds and matching (program_round.c). */
struct round;
struct pool_row;
struct match_result;
/* round_match_compute: the current round as of p->now and its matching: 1 done (free
 * with round_clear and round_match_free), 0 no round, -1 store error. */
int round_match_compute(struct program *p, struct round *r, struct pool_row **rows, int *nrows,
			struct match_result **res);
void round_match_free(struct pool_row *rows, int nrows, struct match_result *res);
int round_match_store(struct program *p, const struct round *r, const struct pool_row *rows,
		      const struct match_result *res);
/* round_match_preview: compute; with store_it, keep it as the round's proposal and mail
 * the report to the coordinators (in may be NULL: the command line). *report_out (when
 * asked) is the report, the caller's to free. 1 done, 0 no round, -1 error. */
int round_match_preview(struct program *p, struct program_in *in, bool store_it,
			char **report_out);
/* round_export_csv: every participant as CSV (caller frees), NULL on a store error. */
char *round_export_csv(struct store *st);

/* Shared by the handlers. */
struct profile;
/* program_coordinators: the configured coordinators' addresses as *v (the count);
 * free with program_strv_free. */
size_t program_coordinators(const struct conf *c, char ***v);
void program_strv_free(char **v, size_t n);
/* program_token_new: a confirmation token for action bound to email (caller frees);
 * NULL when the address already had its daily share of requests (nothing is sent). */
char *program_token_new(struct program *p, const char *email, const char *action,
			const char *payload);
int program_signup_confirmed(struct program *p, struct program_in *in, const char *payload);
/* The validated profile carried in a signup token, as JSON (caller frees). */
char *profile_to_json(const struct profile *prof);
int profile_from_json(const char *s, struct profile *prof);

#endif
