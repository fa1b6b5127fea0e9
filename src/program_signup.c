/* program_signup.c: SIGNUP (validate the form, ask the address to confirm) and the
 * confirmed signup (store the profile, record the agreement). Nothing is stored until
 * the address confirms: the validated profile waits in the token's payload as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "form.h"
#include "log.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

/* At most this many confirmation requests of one kind to one address per day: a forged
 * flood of signups naming a victim reaches the victim a bounded number of times. */
#define CONFIRM_REQUESTS_PER_DAY 3

int
program_token_new(struct program *p, const char *email, const char *action, const char *payload,
		  char **token)
{
	int64_t expires = p->now + (int64_t)p->conf->token_days * 86400;
	int recent = store_token_count_since(p->st, email, action, p->now - 86400);
	bool coordinator = strcmp(action, "coordinator") == 0;

	*token = NULL;
	if (recent < 0)
		return -1;
	/* Coordinators are configured addresses: only the daily reply cap applies. */
	if (recent >= CONFIRM_REQUESTS_PER_DAY && !coordinator) {
		log_info("confirm: an address already had %d %s requests today", recent, action);
		return 0;
	}
	*token = random_token(16);
	if (store_token_add(p->st, *token, email, action, payload, p->now, expires) < 0 ||
	    (!coordinator && store_token_supersede(p->st, email, action, *token, p->now) < 0)) {
		free(*token);
		*token = NULL;
		return -1;
	}
	return 1;
}

int
program_signup(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct participant part = { 0 };
	struct profile prof;
	struct buf problems;
	char *form = NULL, *json = NULL, *token = NULL;
	const char *lang;
	int found, nproblems, made, rc = -1;

	memset(&prof, 0, sizeof(prof));
	buf_init(&problems, 64 * 1024);
	if ((found = store_participant_get(p->st, in->m->from, &part, NULL)) < 0)
		goto out;
	if (found && part.status == PARTICIPANT_ACTIVE) {
		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "already registered");
		rc = reply_queue(p, in, "signup_already", NULL, 0, NULL, NULL);
		goto out;
	}
	nproblems = form_parse(in->m->body, true, NULL, p->conf->default_language, NULL, &prof,
			       &problems);
	/* the answer is in the language the form itself asks for, or else the client's: the
	 * problems are read again in it */
	lang = reply_lang(p, in, nproblems > 0 ? "signup_problems" : "signup_confirm", &prof);
	if (nproblems > 0 && lang != NULL) {
		profile_free(&prof);
		buf_reset(&problems);
		nproblems = form_parse(in->m->body, true, NULL, p->conf->default_language, lang,
				       &prof, &problems);
	}
	/* the correction form keeps every value as typed, valid or not */
	form = nproblems > 0 ? form_render_typed(in->m->body, &prof, true, lang) :
			       form_render(&prof, true, lang);
	if (nproblems > 0) {
		struct tmpl_var v[] = { { "problems", problems.data ? problems.data : "" },
					{ "form", form } };
		struct outmail om = { .tmpl = "signup_problems", .vars = v, .nvars = nitems(v),
				      .applicant = &prof };

		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "application with %d problem(s)", nproblems);
		rc = reply_queue_mail(p, in, &om);
		goto out;
	}
	json = profile_to_json(&prof);
	if ((made = program_token_new(p, in->m->from, "signup", json, &token)) <= 0) {
		if (made < 0)
			goto out;
		in->outcome = OUTCOME_IGNORED;
		snprintf(in->detail, sizeof(in->detail), "too many confirmation requests today");
		rc = 0;
		goto out;
	}
	{
		struct tmpl_var v[] = { { "token", token }, { "form", form }, { "name", prof.name } };
		struct outmail om = { .tmpl = "signup_confirm", .vars = v, .nvars = nitems(v),
				      .applicant = &prof };

		snprintf(in->detail, sizeof(in->detail), "confirmation requested");
		rc = reply_queue_mail(p, in, &om);
	}
out:
	participant_clear(&part);
	profile_free(&prof);
	buf_free(&problems);
	free(form);
	free(json);
	free(token);
	return rc;
}

/* The token was valid: store the application, as new or as a returning participant. */
int
program_signup_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	struct profile prof;
	char *form = NULL;
	int found, rc = -1;

	if (profile_from_json(payload, &prof) < 0) {
		log_errorx("confirm: message %lld: unreadable signup payload", (long long)in->inbound_id);
		return -1;
	}
	if ((found = store_participant_get(p->st, in->m->from, NULL, NULL)) < 0)
		goto out;
	if (found) {
		if (store_participant_update(p->st, in->m->from, &prof, p->now) < 0 ||
		    store_participant_set_status(p->st, in->m->from, PARTICIPANT_ACTIVE, p->now) < 0)
			goto out;
	} else if (store_participant_add(p->st, in->m->from, &prof, p->now, NULL) < 0) {
		goto out;
	}
	if (prof.digest > 0 && store_subscriber_add(p->st, in->m->from, p->now) < 0)
		goto out;
	form = form_render(&prof, true, reply_lang(p, in, "signup_done", NULL));
	{
		struct tmpl_var v[] = { { "name", prof.name }, { "profile", form } };

		snprintf(in->detail, sizeof(in->detail), "signup confirmed");
		rc = reply_queue(p, in, "signup_done", v, 2, NULL, NULL);
	}
out:
	profile_free(&prof);
	free(form);
	return rc;
}
