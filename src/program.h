/* program.h: the program's rules. program_handle() decides what one parsed command
 * message does to the store and which mail it causes, inside the transaction the caller
 * opened (process.c); nothing here talks to a server. The struct program is borrowed. */
#ifndef ILN_PROGRAM_H
#define ILN_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

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
	bool fixed_now;            /* --now given: time does not move */
	int smtputf8;              /* the relay offers SMTPUTF8: 1, -1 not, 0 not known */
	int64_t smtputf8_at;       /* when it was asked (the wall clock) */
	char smtputf8_err[200];    /* why the last asking failed, when smtputf8 is 0 */
};

/* program_tick: p->now from the clock (unless fixed) and returned. */
int64_t program_tick(struct program *p);

/* One inbound message being handled: what the rules read and what they report. */
struct program_in {
	const struct msg *m;
	int64_t inbound_id;
	int nreplies;              /* replies queued so far for this message */
	enum outcome outcome;      /* for the inbound log */
	char detail[256];          /* one line for the log: what was done or why not */
};

/* program_handle: act on m; 0, or -1 on a store error (the caller rolls back). */
int program_handle(struct program *p, struct program_in *in);

/* One mail made from a template and queued in the outbox under a unique key (the same
 * key never queues twice). With a parent it is a threaded reply (auto-replied);
 * without, scheduled or generated mail (auto-generated). All pointers are borrowed. */
struct mail_header;
struct profile;
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
	/* Already rendered (one mail to many: the digest): when body is set, subject, body
	 * and body_html are used as they are and the template is not rendered again; lang
	 * is then the language set they were rendered in (NULL: the default set). */
	const char *subject, *body, *body_html;
	const char *lang;
	/* The form a recipient not yet registered sent (a signup): its Mail language and
	 * Languages choose the mail's language as a registered person's would. */
	const struct profile *applicant;
};

/* One mail to many recipients, each their own copy (a digest): outmail_bulk_begin
 * renders and composes om once (its To is not read) and stores the shared part;
 * outmail_bulk_add queues one recipient's copy under its unique key (1 queued, 0 key
 * already there or the address unusable, -1 store error). Nothing to free. */
struct outmail_bulk {
	struct program *p;
	const char *kind;
	int64_t shared_id;
};
int outmail_bulk_begin(struct program *p, const struct outmail *om, struct outmail_bulk *b);
int outmail_bulk_add(struct outmail_bulk *b, const char *to, const char *key);

/* mail_list_headers: the List-* headers (RFC 2369, 2919) and Precedence of mail to a
 * list of ours named list ("topics", "announce"): List-Id <list.domain>, List-Help and
 * List-Unsubscribe as mailtos of the contact address. hdr must hold MAIL_LIST_HEADERS
 * entries whose values live in buf (at least MAIL_LIST_BUF bytes). Returns the count. */
#define MAIL_LIST_HEADERS 4
#define MAIL_LIST_BUF 1024
struct mail_header;
size_t mail_list_headers(const struct conf *c, const char *list, struct mail_header *hdr,
			 char *buf);
int outmail_queue(struct program *p, const struct outmail *om);
/* reply_person_language: the ISO 639-1 code of the language mail to someone with this
 * Mail language (ISO 639-3, NULL for none) and Languages is written in, by
 * mail_lang_choose(); the default set's language when none of theirs has a set. Static
 * storage, valid until the next call. */
const char *reply_person_language(const struct program *p, const char *mail_language,
				  const char *languages);

/* reply_outmail_language: the language set om will be written in (what outmail_queue
 * renders it with: the recipients' language when that set has om's template, else the
 * default language's), NULL for the files of templates/ itself; so that a sentence built
 * in C for a mail is in the language of the template it goes into. reply_lang: the same
 * for a reply to in's sender made from template tmpl, counting applicant (a newcomer's
 * own form, as struct outmail's; NULL for none). The strings live as long as the
 * templates. */
const char *reply_outmail_language(struct program *p, const struct outmail *om);
const char *reply_lang(struct program *p, const struct program_in *in, const char *tmpl,
		       const struct profile *applicant);

/* VERP (reply.c): the address bounces come back to (bounce_address, or the contact
 * address), and the envelope sender of the mail with Message-ID msgid: that address's
 * local part, '+', the first REPLY_TOKEN_LEN characters after msgid's '<'. Caller frees. */
#define REPLY_TOKEN_LEN 16
const char *reply_bounce_base(const struct conf *c);
char *reply_envelope_from(const struct conf *c, const char *msgid);

/* program_bounce.c: a bounce, DSN or abuse complaint recognised in raw before anything
 * else reads the message: traced to our mail by its VERP token, and its effects
 * recorded (failures per address and per mail, coordinators told of a one-to-one mail's
 * first permanent failure, digests stopped, a complaint unsubscribing from digests).
 * Never answered. 1 it was one (in->outcome and detail set; *rejected when it could not
 * be traced: set aside), 0 it is not a bounce, -1 store error. */
int program_bounce(struct program *p, struct program_in *in, const char *raw, size_t len,
		   bool *rejected);
/* program_bounce_pending: the refusals at sending time (a 5xx to one RCPT, or 4xx past
 * smtp_retry_max_hours), which the outbox recorded and counted (store_bounce_smtp), get
 * the effect that needs the program: the coordinators told of a one-to-one mail's. In
 * its own transaction; the count handled, or -1. */
int program_bounce_pending(struct program *p);
/* program_bounce_alive: the address wrote to us: its failure counts are cleared. */
int program_bounce_alive(struct program *p, const char *email);

/* The kinds of mail (reply.c): every template the program sends, with the variables its
 * sender provides (space-separated) besides mail_common_vars, which every mail gets. */
struct mail_kind {
	const char *tmpl;
	const char *vars;
};
extern const struct mail_kind mail_kinds[];
extern const size_t nmail_kinds;
extern const char mail_common_vars[];
#define REPLY_MAX_KNOWN 40      /* variables of one kind, common ones included */
const struct mail_kind *mail_kind_find(const char *tmpl);
bool mail_kind_has_var(const struct mail_kind *k, const char *var);

/* reply_queue: render template tmpl_name, thread it to the inbound message, send it to
 * `to` (NULL = the sender) and queue it in the outbox. Applies the per-sender daily cap:
 * past it one "no more today" notice, then silence. 0 queued or suppressed, -1 error. */
int reply_queue(struct program *p, struct program_in *in, const char *tmpl_name,
		const struct tmpl_var *vars, size_t nvars, const char *to, const char *cc);

/* reply_queue_mail: the same for a prepared outmail (e.g. with an attachment); its key,
 * parent and, when it names no recipient, its To are filled in here. */
int reply_queue_mail(struct program *p, struct program_in *in, struct outmail *om);

/* Command handlers (the rows of commands[] in program.c): 0, or -1 on a store error. */
/* program_signup.c */
int program_signup(struct program *p, struct program_in *in, const struct cmd *c);
int program_signup_confirmed(struct program *p, struct program_in *in, const char *payload);
/* program_confirm.c */
int program_confirm(struct program *p, struct program_in *in, const struct cmd *c);
int program_withdraw(struct program *p, struct program_in *in, const struct cmd *c);
int program_withdraw_confirmed(struct program *p, struct program_in *in, const char *payload);
int program_delete(struct program *p, struct program_in *in, const struct cmd *c);
int program_delete_confirmed(struct program *p, struct program_in *in, const char *payload);
int program_change(struct program *p, struct program_in *in, const struct cmd *c);
int program_change_confirmed(struct program *p, struct program_in *in, const char *payload);
int program_subscribe(struct program *p, struct program_in *in, const struct cmd *c);
int program_subscribe_confirmed(struct program *p, struct program_in *in, const char *payload);
/* program_profile.c */
int program_show(struct program *p, struct program_in *in, const struct cmd *c);
int program_update(struct program *p, struct program_in *in, const struct cmd *c);
int program_status(struct program *p, struct program_in *in, const struct cmd *c);
int program_unsubscribe(struct program *p, struct program_in *in, const struct cmd *c);
/* program_topic.c */
int program_topic(struct program *p, struct program_in *in, const struct cmd *c);
int program_topics(struct program *p, struct program_in *in, const struct cmd *c);
/* program_confirm.c: the token of c's command to the sender, with payload for its
 * confirmed handler, in the template confirm_<command>. */
int program_ask(struct program *p, struct program_in *in, const struct cmd *c, const char *payload);
/* program_partnership.c */
int program_choice(struct program *p, struct program_in *in, const struct cmd *c);
int program_problem(struct program *p, struct program_in *in, const struct cmd *c);
int program_dissolve(struct program *p, struct program_in *in, const struct cmd *c);
int program_dissolve_confirmed(struct program *p, struct program_in *in, const char *payload);
int program_reports(struct program *p, struct program_in *in, const struct cmd *c);
/* How a partnership ends before the round does. */
enum leave_how { LEAVE_DISSOLVE, LEAVE_WITHDRAW, LEAVE_DELETE, LEAVE_SILENT, LEAVE_COORDINATOR };
struct partnership;
/* partnership_leave: x is dissolved because of leaver (a participant id, 0 none): whoever
 * stays in the round joins the waiting pool (a partner left alone first), is told (never
 * the reason), the coordinators are told (with it; by names the coordinator who did it),
 * and the pool is matched again. 0 or -1. */
int partnership_leave(struct program *p, const struct partnership *x, int64_t leaver,
		      enum leave_how how, const char *reason, const char *by);
/* program_leave_round: the sender's active partnership, if any, ends as they leave. */
int program_leave_round(struct program *p, const char *from, enum leave_how how,
			const char *reason);
/* program_sign_of_life: from wrote to us: the reports waiting for their answer are
 * answered, and one who was silent counts in the waiting pool again. */
int program_sign_of_life(struct program *p, const char *from);
/* program_nudges_due: in a transaction of its own, every partnership whose nudge ran out
 * without an answer is dissolved. The number dissolved, or -1. */
int program_nudges_due(struct program *p);
/* program_coord.c: a coordinator's message that is no command, filed on its thread
 * (1 handled, 0 not from a coordinator, -1 error); and the same confirmed by token, the
 * message kept in the token's payload object o. */
struct json_object;
int program_coord_cc(struct program *p, struct program_in *in);
int program_coord_cc_confirmed(struct program *p, struct program_in *in, struct json_object *o);
/* program.c: the kind and key of the mail of ours that m answers (its In-Reply-To, else
 * the newest of its References that is ours): 1 found (strings the caller's), 0 not. */
int program_answered_mail(struct program *p, const struct msg *m, char **kind, char **key);
/* program_rematch.c: the round's waiting pool matched again (same engine and rules as
 * MATCH, a partner left alone first); new pairs introduced at once, the coordinators get
 * one summary; after the reminder date, and for anyone with no candidate, one mail says
 * they will be matched next round. Inside the caller's transaction. 0 or -1. */
int program_rematch(struct program *p, int64_t round_id);
/* program_rematch_daily: program_rematch for every running round once a UTC day, each
 * in a transaction of its own. The number of rounds done, or -1. */
int program_rematch_daily(struct program *p);
/* program_round.c */
struct round;
int round_introduce(struct program *p, const struct round *r, const struct partnership *x);
/* program_round.c */
int round_open(struct program *p, struct program_in *in, const struct cmd *c);
int round_match(struct program *p, struct program_in *in, const struct cmd *c);
int round_approve(struct program *p, struct program_in *in, const struct cmd *c);
int round_stats(struct program *p, struct program_in *in, const struct cmd *c);
int round_export(struct program *p, struct program_in *in, const struct cmd *c);
/* program_schedule.c: every scheduled mail due now in every running round (digests,
 * check-ins, reminders, the close), each kind's run in a transaction of its own; the
 * caller has none open. Returns how many runs were made, or -1 on a store error. */
int program_schedule_run(struct program *p);
/* program.c: a coordinator command confirmed by token (its Subject and body stored) */
int program_coordinator_confirmed(struct program *p, struct program_in *in, const char *payload);
/* program.c: templates any command may send besides its own (space-separated) */
extern const char program_gate_templates[];
/* program_check_templates: every template the command table and mail_kinds[] name
 * exists in set (loaded from dir) and uses only the variables its sender provides; one
 * line per problem appended to problems. Returns the number of problems. */
struct buf;
int program_check_templates(const struct tmpl_set *set, const char *dir, struct buf *problems);

/* Rounds and matching (program_round.c). */
/* round_match_preview: the current round's matching with its adjustments, as the next
 * numbered proposal; with store_it, kept as the round's proposal and mailed with its CSV
 * to every coordinator (in may be NULL: the command line). *report_out and *csv_out
 * (when asked) are the caller's to free. 1 done, 0 no round, -1 error. */
int round_match_preview(struct program *p, struct program_in *in, bool store_it,
			char **report_out, char **csv_out);
/* round_adjust: a coordinator's reply m to the preview whose outbox key is key: its
 * pair / unpair / exclude lines recorded and a new proposal sent. 0 or -1. */
int round_adjust(struct program *p, struct program_in *in, const struct msg *m,
		 const char *key);
/* round_export_csv: every participant as CSV (caller frees), NULL on a store error. */
char *round_export_csv(struct program *p);

/* Shared by the handlers. */
struct profile;
/* program_coordinators: the configured coordinators' addresses as *v (the count);
 * free with program_strv_free. */
size_t program_coordinators(const struct conf *c, char ***v);
void program_strv_free(char **v, size_t n);
/* program_token_new: a new confirmation token for action bound to email in *token (the
 * caller frees), superseding the older unused ones of the same action (but
 * coordinator commands, each its own). 1 made; 0 when the address already had its
 * daily share of requests (nothing is to be sent); -1 on a store error. */
int program_token_new(struct program *p, const char *email, const char *action,
		      const char *payload, char **token);

#endif
