/* reply.c: turns a template into a mail, threaded to the message it answers when there
 * is one, and queues it in the outbox (same transaction as the state change it
 * reports). mail_kinds[] lists every template the program sends and the variables its
 * sender provides, for check-config and for a check at each render. The per-sender
 * daily cap of RFC 3834 practice is applied here, so no handler can forget it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "iso_codes.h"
#include "log.h"
#include "mail_compose.h"
#include "mail_lang.h"
#include "msg.h"
#include "profile.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define REPLY_MAX_VARS 40

/* Variables every mail gets (outmail_queue). */
const char mail_common_vars[] =
	"network_name address re_subject sender token_days default_language";

/* Every template and the variables its sender provides besides mail_common_vars. */
const struct mail_kind mail_kinds[] = {
	{ "help", "unknown coordinator" },
	{ "help_short", "unknown" },
	{ "rate_limited", "" },
	{ "coordinators_only", "command" },
	{ "confirm_coordinator", "command token details" },
	{ "not_registered", "command" },
	{ "no_partnership", "command" },
	{ "signup_confirm", "token form name" },
	{ "signup_problems", "problems form" },
	{ "signup_already", "" },
	{ "signup_done", "name profile" },
	{ "confirm_bad", "why" },
	{ "confirm_withdraw", "token" },
	{ "confirm_delete", "token" },
	{ "confirm_subscribe", "token" },
	{ "confirm_change", "token new_address old_address" },
	{ "change_verify", "token new_address old_address" },
	{ "change_pending", "new_address old_address" },
	{ "change_done", "new_address old_address" },
	{ "change_bad", "command" },
	{ "change_taken", "new_address old_address" },
	{ "withdraw_done", "" },
	{ "withdraw_already", "command" },
	{ "delete_done", "" },
	{ "nothing_held", "command" },
	{ "subscribe_done", "" },
	{ "subscribe_already", "command" },
	{ "unsubscribe_done", "was_subscribed was_not_subscribed" },
	{ "show", "profile status agreed_at created_at subscribed history bounced" },
	{ "update_done", "profile" },
	{ "update_problems", "problems form" },
	{ "status", "status waiting withdrawn partner round_name starts ends choice "
		    "waiting_since waiting_next reports" },
	{ "round_problems", "problems" },
	{ "round_opened", "round_name signup_closes starts ends announced" },
	{ "round_announce", "round_name signup_closes starts ends" },
	{ "no_round", "command" },
	{ "match_preview", "round_name report proposal" },
	{ "introduction", "round_name ends a_email a_workplace a_years a_interests a_about "
			  "b_email b_workplace b_years b_interests b_about" },
	{ "unmatched_options", "round_name why" },
	{ "approve_done", "round_name introduced unmatched proposal approved_by" },
	{ "approve_stale", "round_name asked proposal" },
	{ "stats", "stats" },
	{ "export", "what" },
	{ "quarantine_alert", "transport_id size sha256 tries date" },
	{ "digest", "round_name titles topics" },
	{ "checkin", "round_name ends partner" },
	{ "checkin_ack", "" },
	{ "reminder", "round_name ends partner chose_continue chose_conclude" },
	{ "round_closed", "round_name ends partner continuing concluded next_round "
			  "next_signup_closes next_starts no_next_round" },
	{ "choice_done", "choice continue conclude ends round_name" },
	{ "context_note", "about" },
	{ "topic_queued", "title queue" },
	{ "topic_cancelled", "number queue" },
	{ "topic_problems", "problems" },
	{ "topics", "archive queue" },
	{ "report_ack", "report partner nudge_days no_response other reporter" },
	{ "report_coordinators", "report partner nudge_days no_response other reporter text" },
	{ "nudge", "report partner nudge_days" },
	{ "partner_answered", "report partner" },
	{ "dissolved_silent", "partner" },
	{ "dissolved_reporter", "partner" },
	{ "partner_left", "partner" },
	{ "partnership_ended", "a_email b_email leaver how reason by" },
	{ "confirm_dissolve", "token" },
	{ "dissolve_done", "" },
	{ "next_round", "round_name no_candidate too_late" },
	{ "rematch_summary", "round_name pairs count" },
	{ "reports", "reports" },
	{ "coord_done", "done" },
	{ "bounce_coordinators", "bounced kind partner no_partner status" },
};

const size_t nmail_kinds = nitems(mail_kinds);

const struct mail_kind *
mail_kind_find(const char *tmpl)
{
	for (size_t i = 0; i < nmail_kinds; i++)
		if (strcmp(mail_kinds[i].tmpl, tmpl) == 0)
			return &mail_kinds[i];
	return NULL;
}

/* words_have: the space-separated list has the word w. */
static bool
words_have(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *s = list; *s; s += strspn(s, " ")) {
		size_t k = strcspn(s, " ");

		if (k == n && strncmp(s, w, n) == 0)
			return true;
		s += k;
	}
	return false;
}

bool
mail_kind_has_var(const struct mail_kind *k, const char *var)
{
	return words_have(mail_common_vars, var) || words_have(k->vars, var);
}

static const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "localhost";
}

/* VERP envelope sender: bounce_address (the contact address when it is not set) with
 * an opaque token after '+', so a bounce names the mail it answers without exposing the
 * recipient. The token is the first 16 hex digits of the mail's random Message-ID, so
 * the Message-ID's index finds the mail of a token (store_sent_by_token). */
char *
reply_envelope_from(const struct conf *c, const char *msgid)
{
	const char *b = reply_bounce_base(c);
	const char *at = strrchr(b, '@');

	if (at == NULL || msgid == NULL || strlen(msgid) < 1 + REPLY_TOKEN_LEN)
		return xstrdup(c->address);
	return xasprintf("%.*s+%.*s%s", (int)(at - b), b, REPLY_TOKEN_LEN, msgid + 1, at);
}

const char *
reply_bounce_base(const struct conf *c)
{
	return c->bounce_address[0] ? c->bounce_address : c->address;
}

static char *
reply_subject_re(const char *subject)
{
	if (subject[0] == '\0')
		return xstrdup("Re: your message");
	if (strncasecmp(subject, "re:", 3) == 0)
		return xstrdup(subject);
	return xasprintf("Re: %s", subject);
}

size_t
mail_list_headers(const struct conf *c, const char *list, struct mail_header *hdr, char *buf)
{
	const char *dom = addr_domain(c->address);
	size_t a, b;

	/* each value at most 254 bytes of address plus the mailto around it */
	a = (size_t)snprintf(buf, MAIL_LIST_BUF / 4, "<%.40s.%.200s>", list, dom) + 1;
	b = a + (size_t)snprintf(buf + a, MAIL_LIST_BUF / 3, "<mailto:%.254s?subject=UNSUBSCRIBE>",
				 c->address) + 1;
	snprintf(buf + b, MAIL_LIST_BUF / 3, "<mailto:%.254s?subject=HELP>", c->address);
	hdr[0] = (struct mail_header){ "List-Id", buf };
	hdr[1] = (struct mail_header){ "List-Unsubscribe", buf + a };
	hdr[2] = (struct mail_header){ "List-Help", buf + b };
	hdr[3] = (struct mail_header){ "Precedence", "bulk" };
	return MAIL_LIST_HEADERS;
}

/* The ISO 639-1 code of the default set's language (default_language), "en" if unknown. */
static const char *
default_lang(const struct program *p)
{
	const char *a2 = iso_language_alpha2(iso_language_lookup(p->conf->default_language));

	return a2 ? a2 : "en";
}

/* Whether mail may be written in the language set code: it is loaded and named by the
 * languages key. */
static bool
lang_enabled(const struct program *p, const char *code)
{
	size_t n = strlen(code);

	if (tmpl_lang(p->tmpl, code) == NULL)
		return false;
	for (const char *s = p->conf->languages; s && *s;) {
		size_t k;

		s += strspn(s, " ,\t");
		k = strcspn(s, " ,\t");
		if (k == n && strncmp(s, code, n) == 0)
			return true;
		s += k;
	}
	return false;
}

/* lang_enabled for mail_lang_choose(). */
static bool
lang_has_set(const void *ctx, const char *a2)
{
	return lang_enabled(ctx, a2);
}

/* The sets mail may be written in, for mail_lang_choose(). */
static struct mail_lang_sets
lang_sets(const struct program *p)
{
	return (struct mail_lang_sets){ iso_language_alpha2, lang_has_set, p, default_lang(p),
					 iso_language_macro };
}

const char *
reply_person_language(const struct program *p, const char *mail_language,
		      const char *languages)
{
	struct mail_lang_person who = { mail_language, languages ? languages : "" };
	struct mail_lang_sets sets = lang_sets(p);
	static char out[MAIL_LANG_MAX];
	const char *a2 = mail_lang_choose(&who, 1, NULL, &sets, out);

	return a2 ? a2 : default_lang(p);
}

/* The language set a mail is written in (an ISO 639-1 code), NULL for the default:
 * mail_lang_choose() over the recipients' profiles (the first MAIL_LANG_TO of them); for
 * one recipient not registered, the Mail language and Languages of the form they sent
 * (om->applicant) when one has a set, else the Content-Language or Accept-Language of the
 * message answered. */
#define MAIL_LANG_TO 8
static const char *
mail_language(struct program *p, const struct outmail *om)
{
	static char found[MAIL_LANG_MAX];
	struct profile prof[MAIL_LANG_TO];
	struct mail_lang_person who[MAIL_LANG_TO];
	struct mail_lang_sets sets = lang_sets(p);
	const char *asked = NULL, *lang;
	size_t n = 0;

	for (; n < om->nto && n < MAIL_LANG_TO; n++) {
		profile_init(&prof[n]);
		who[n] = (struct mail_lang_person){ NULL, NULL };
		if (store_participant_get(p->st, om->to[n], NULL, &prof[n]) > 0) {
			who[n].mail_language = prof[n].mail_language;
			who[n].languages = prof[n].languages ? prof[n].languages : "";
		}
	}
	if (om->parent && om->parent->from && om->nto == 1 &&
	    strcasecmp(om->parent->from, om->to[0]) == 0)
		asked = om->parent->language;
	if (n == 1 && who[0].languages == NULL && om->applicant != NULL) {
		struct mail_lang_person form = { om->applicant->mail_language,
						 om->applicant->languages ?
						 om->applicant->languages : "" };

		lang = mail_lang_choose(&form, 1, NULL, &sets, found);
		if (lang == NULL)
			lang = mail_lang_choose(who, n, asked, &sets, found);
	} else {
		lang = mail_lang_choose(who, n, asked, &sets, found);
	}
	for (size_t i = 0; i < n; i++)
		profile_free(&prof[i]);
	return lang;
}

/* The template set om is rendered in: the one rule for a mail's language. Mail in the
 * default language is written in that language's own set when there is one
 * (templates/es/ for a network whose default_language is Spanish), else in templates/. */
static const struct tmpl_set *
outmail_set(struct program *p, const struct outmail *om)
{
	const char *lang = om->body ? NULL : mail_language(p, om);

	return tmpl_for(p->tmpl, lang ? lang : default_lang(p), om->tmpl);
}

const char *
reply_outmail_language(struct program *p, const struct outmail *om)
{
	return om->body ? NULL : tmpl_set_lang(outmail_set(p, om));
}

const char *
reply_lang(struct program *p, const struct program_in *in, const char *tmpl,
	   const struct profile *applicant)
{
	const char *to[1] = { in->m->from };
	struct outmail om = { .tmpl = tmpl, .to = to, .nto = 1, .parent = in->m,
			      .applicant = applicant };

	return reply_outmail_language(p, &om);
}

int
outmail_queue(struct program *p, const struct outmail *om)
{
	const struct msg *m = om->parent;
	const struct mail_kind *kind;
	struct tmpl_var all[REPLY_MAX_VARS];
	char days[16], err[256];
	char *re = reply_subject_re(m ? m->subject : "");
	char *subject = NULL, *body = NULL, *msgid = NULL, *refs = NULL, *raw = NULL;
	char *env = NULL;
	struct mail_out mo;
	struct buf rcpts;
	size_t n = 0, len;
	int rc = -1;
	const struct tmpl_set *set = outmail_set(p, om);

	buf_init(&rcpts, 0);
	if ((kind = mail_kind_find(om->tmpl)) == NULL) {
		log_errorx("mail: %s is not a kind of mail in mail_kinds[]", om->tmpl);
		goto out;
	}
	for (size_t i = 0; i < om->nvars; i++)
		if (!mail_kind_has_var(kind, om->vars[i].name))
			log_errorx("mail: %s is given %s, which mail_kinds[] does not list", om->tmpl,
				   om->vars[i].name);
	snprintf(days, sizeof(days), "%d", p->conf->token_days);
	all[n++] = (struct tmpl_var){ "network_name", p->conf->network_name };
	all[n++] = (struct tmpl_var){ "address", p->conf->address };
	all[n++] = (struct tmpl_var){ "re_subject", re };
	all[n++] = (struct tmpl_var){ "sender", m && m->from ? m->from : om->to[0] };
	all[n++] = (struct tmpl_var){ "token_days", days };
	all[n++] = (struct tmpl_var){ "default_language", p->conf->default_language };
	for (size_t i = 0; i < om->nvars && n < REPLY_MAX_VARS; i++)
		all[n++] = om->vars[i];
	if (om->body) {
		subject = xstrdup(om->subject ? om->subject : "");
		body = xstrdup(om->body);
	} else if (tmpl_render(set, om->tmpl, all, n, &subject, &body) != 0) {
		log_errorx("mail: cannot render template %s", om->tmpl);
		goto out;
	}
	msgid = mail_message_id_new(addr_domain(p->conf->address));
	if (m && m->references && m->message_id)
		refs = xasprintf("%s %s", m->references, m->message_id);
	else if (m && m->message_id)
		refs = xstrdup(m->message_id);
	memset(&mo, 0, sizeof(mo));
	mo.from_name = p->conf->network_name;
	mo.from_addr = p->conf->address;
	mo.to = om->to;
	mo.nto = om->nto;
	mo.cc = om->cc;
	mo.ncc = om->ncc;
	mo.reply_to = om->reply_to;
	mo.nreply_to = om->nreply_to;
	mo.subject = subject;
	mo.message_id = msgid;
	/* A Message-ID that is legal but that we cannot write back (no '@', a domain literal,
	 * a quoted local part) only loses the reply its threading, never the reply. The
	 * References writer drops such ids itself. */
	mo.in_reply_to = m && mail_msgid_valid(m->message_id) ? m->message_id : NULL;
	mo.references = refs;
	mo.date = p->now;
	mo.auto_submitted = m ? "auto-replied" : "auto-generated";
	mo.content_language = tmpl_set_lang(set) ? tmpl_set_lang(set) : default_lang(p);
	mo.extra = om->extra;
	mo.nextra = om->nextra;
	mo.body = body;
	mo.body_html = om->body_html;
	mo.attach_name = om->attach_name;
	mo.attach_type = om->attach_type;
	mo.attach_data = om->attach_data;
	mo.attach_len = om->attach_len;
	if ((raw = mail_compose(&mo, &len, err, sizeof(err))) == NULL) {
		log_warnx("mail: %s not sent: %s", om->tmpl, err);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < om->nto; i++)
		buf_printf(&rcpts, "%s%s", rcpts.len ? "\n" : "", om->to[i]);
	for (size_t i = 0; i < om->ncc; i++)
		buf_printf(&rcpts, "%s%s", rcpts.len ? "\n" : "", om->cc[i]);
	env = reply_envelope_from(p->conf, msgid);
	if (store_outbox_add(p->st, om->key, om->tmpl, msgid, env, rcpts.data, raw, len, p->now) < 0)
		goto out;
	rc = 0;
out:
	free(re);
	free(subject);
	free(body);
	free(msgid);
	free(refs);
	free(raw);
	free(env);
	buf_free(&rcpts);
	return rc;
}

int
outmail_bulk_begin(struct program *p, const struct outmail *om, struct outmail_bulk *b)
{
	struct tmpl_var all[REPLY_MAX_VARS];
	char *subject = NULL, *body = NULL, *raw = NULL, err[256];
	struct mail_out mo;
	size_t n = 0, len;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	b->p = p;
	b->kind = om->tmpl;
	all[n++] = (struct tmpl_var){ "network_name", p->conf->network_name };
	all[n++] = (struct tmpl_var){ "address", p->conf->address };
	for (size_t i = 0; i < om->nvars && n < REPLY_MAX_VARS; i++)
		all[n++] = om->vars[i];
	if (om->body) {
		subject = xstrdup(om->subject ? om->subject : "");
		body = xstrdup(om->body);
	} else if (tmpl_render(p->tmpl, om->tmpl, all, n, &subject, &body) != 0) {
		log_errorx("mail: cannot render template %s", om->tmpl);
		goto out;
	}
	memset(&mo, 0, sizeof(mo));
	mo.shared = true;
	mo.from_name = p->conf->network_name;
	mo.from_addr = p->conf->address;
	mo.subject = subject;
	mo.date = p->now;
	mo.auto_submitted = "auto-generated";
	mo.content_language = om->body && om->lang ? om->lang : default_lang(p);
	mo.extra = om->extra;
	mo.nextra = om->nextra;
	mo.body = body;
	mo.body_html = om->body_html;
	if ((raw = mail_compose(&mo, &len, err, sizeof(err))) == NULL) {
		log_errorx("mail: %s cannot be composed: %s", om->tmpl, err);
		goto out;
	}
	if (store_outbox_shared_add(p->st, raw, len, p->now, &b->shared_id) < 0)
		goto out;
	rc = 0;
out:
	free(subject);
	free(body);
	free(raw);
	return rc;
}

int
outmail_bulk_add(struct outmail_bulk *b, const char *to, const char *key)
{
	struct program *p = b->p;
	char *msgid = mail_message_id_new(addr_domain(p->conf->address)), *prefix, *env;
	char err[256];
	size_t len;
	int rc;

	if ((prefix = mail_compose_prefix(to, msgid, &len, err, sizeof(err))) == NULL) {
		log_warnx("mail: %s to a recipient not sent: %s", b->kind, err);
		free(msgid);
		return 0;
	}
	env = reply_envelope_from(p->conf, msgid);
	rc = store_outbox_add_shared(p->st, key, b->kind, msgid, env, to, prefix, len,
				     b->shared_id, p->now);
	free(prefix);
	free(env);
	free(msgid);
	return rc;
}

/* Queue om as a reply to the inbound message: threaded to it, to the sender unless om
 * names others, under the unique key of the message's next reply. */
static int
reply_build(struct program *p, struct program_in *in, struct outmail *om)
{
	const char *sender = in->m->from;
	char key[64];

	snprintf(key, sizeof(key), "reply:%lld:%d", (long long)in->inbound_id, in->nreplies++);
	om->key = key;
	om->parent = in->m;
	if (om->nto == 0) {
		om->to = &sender;
		om->nto = 1;
	}
	return outmail_queue(p, om);
}

int
reply_queue_mail(struct program *p, struct program_in *in, struct outmail *om)
{
	const int cap = p->conf->replies_per_sender_per_day;
	char day[16];
	int count;

	time_format_date(p->now, day, sizeof(day));
	if ((count = store_reply_count_bump(p->st, in->m->from, day)) < 0)
		return -1;
	if (count == cap + 1) {
		struct outmail notice = { .tmpl = "rate_limited" };

		log_info("reply: message %lld: its sender reached %d replies today; sending the notice",
			 (long long)in->inbound_id, cap);
		return reply_build(p, in, &notice);
	}
	if (count > cap + 1) {
		log_info("reply: message %lld: its sender is over today's cap; %s not sent",
			 (long long)in->inbound_id, om->tmpl);
		return 0;
	}
	return reply_build(p, in, om);
}

int
reply_queue(struct program *p, struct program_in *in, const char *tmpl_name,
	    const struct tmpl_var *vars, size_t nvars, const char *to, const char *cc)
{
	const char *tov[1] = { to }, *ccv[1] = { cc };
	struct outmail om = { .tmpl = tmpl_name, .vars = vars, .nvars = nvars };

	if (to) {
		om.to = tov;
		om.nto = 1;
	}
	if (cc) {
		om.cc = ccv;
		om.ncc = 1;
	}
	return reply_queue_mail(p, in, &om);
}
