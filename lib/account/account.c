// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * account.c - per-program totals of a command's process tree from taskstats
 * records (accel/account/account.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel/account/account.h"

const char *const ac_run_kind_name[AC_RUN_KINDS] = {"other", "emulated", "native",
							    "emulated-for-build"};

int ac_account_rule(struct ac_account *a, uint64_t dev, uint64_t ino, int kind)
{
	for (size_t i = 0; i < a->nrules; i++)
		if (a->rules[i].dev == dev && a->rules[i].ino == ino && a->rules[i].kind == kind)
			return 0; /* known: a rescan of the roots adds no twin */
	if (a->nrules == a->rcap) {
		size_t c = a->rcap ? a->rcap * 2 : 8;
		struct ac_exe_rule *r = realloc(a->rules, c * sizeof(*r));

		if (!r)
			return -ENOMEM;
		a->rules = r;
		a->rcap = c;
	}
	a->rules[a->nrules++] = (struct ac_exe_rule){.dev = dev, .ino = ino, .kind = kind};
	return 0;
}

int ac_account_add(struct ac_account *a, const struct ac_task *t)
{
	if (a->n == a->cap) {
		size_t c = a->cap ? a->cap * 2 : 1024;
		struct ac_task *nt = realloc(a->t, c * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		a->t = nt;
		a->cap = c;
	}
	a->t[a->n] = *t;
	a->t[a->n].comm[sizeof(t->comm) - 1] = '\0';
	a->t[a->n].seq = (uint32_t)a->n;
	a->t[a->n].member = -1;
	a->n++;
	return 0;
}

static int classify(const struct ac_account *a, const struct ac_task *t)
{
	int kind = AC_RUN_OTHER;

	if (!t->exe_dev && !t->exe_ino)
		return AC_RUN_OTHER;
	for (size_t i = 0; i < a->nrules; i++) {
		if (a->rules[i].dev != t->exe_dev)
			continue;
		if (a->rules[i].ino == t->exe_ino)
			return a->rules[i].kind;
		if (!a->rules[i].ino)
			kind = a->rules[i].kind;
	}
	return kind;
}

/* Thread-group leaders (indexes into the records), by pid then exit order. */
static int cmp_leader(const void *x, const void *y, void *base)
{
	const struct ac_task *t = base;
	const struct ac_task *p = &t[*(const size_t *)x], *q = &t[*(const size_t *)y];

	if (p->pid != q->pid)
		return p->pid < q->pid ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* The record of t's parent: the first leader with pid t->ppid that exited
 * after t and started no later than t. NULL when there is none.
 *
 * The kernel computes a start time in whole seconds at each exit, as the
 * wall clock then minus the time the task ran, so a parent started just
 * before a second boundary can come out one second later than its child
 * (seen: every task of a 600-task build lost that way, 1 run in 3 under
 * load). One second of slack; a reused pid still needs a start more than
 * a second after the child's to be taken for its parent. */
static struct ac_task *parent_of(struct ac_account *a, const size_t *lead, size_t nlead,
				 const struct ac_task *t)
{
	size_t lo = 0, hi = nlead;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->t[lead[mid]].pid < t->ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nlead && a->t[lead[lo]].pid == t->ppid; lo++) {
		struct ac_task *p = &a->t[lead[lo]];

		if (p->seq > t->seq && p->btime <= t->btime + 1)
			return p;
	}
	return NULL;
}

static int cmp_total(const void *x, const void *y)
{
	const struct ac_prog_total *p = x, *q = y;

	if (p->cpu_us != q->cpu_us)
		return p->cpu_us > q->cpu_us ? -1 : 1;
	if (p->kind != q->kind)
		return p->kind - q->kind;
	return strcmp(p->comm, q->comm);
}

static int total(struct ac_account *a, const struct ac_task *t, size_t *cap)
{
	struct ac_prog_total *p = NULL;

	for (size_t i = 0; i < a->nprog; i++)
		if (a->prog[i].kind == t->kind && !strcmp(a->prog[i].comm, t->comm)) {
			p = &a->prog[i];
			break;
		}
	if (!p) {
		if (a->nprog == *cap) {
			size_t c = *cap ? *cap * 2 : 64;
			struct ac_prog_total *np = realloc(a->prog, c * sizeof(*np));

			if (!np)
				return -ENOMEM;
			a->prog = np;
			*cap = c;
		}
		p = &a->prog[a->nprog++];
		memset(p, 0, sizeof(*p));
		memcpy(p->comm, t->comm, sizeof(p->comm));
		p->kind = t->kind;
	}
	p->cpu_us += t->utime + t->stime;
	if (t->pid == t->tgid)
		p->runs++;
	return 0;
}

int ac_account_finish(struct ac_account *a, uint32_t top)
{
	size_t *lead = malloc((a->n + 1) * sizeof(*lead)), nlead = 0, cap = 0;
	struct ac_task **chain = malloc((a->n + 1) * sizeof(*chain));
	int r = 0;

	if (!lead || !chain) {
		free(lead);
		free(chain);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i].pid == a->t[i].tgid)
			lead[nlead++] = i;
	qsort_r(lead, nlead, sizeof(*lead), cmp_leader, a->t);

	/* Membership: walk up to a decided ancestor, then decide the chain.
	 * Parents exit after their children, so the walk always ends. */
	for (size_t i = 0; i < a->n; i++) {
		struct ac_task *t = &a->t[i];
		size_t depth = 0;
		int member;

		while (t->member < 0) {
			struct ac_task *p;

			chain[depth++] = t;
			if (t->ppid == top) {
				member = 1;
				goto decided;
			}
			p = parent_of(a, lead, nlead, t);
			if (!p) {
				member = 0;
				goto decided;
			}
			t = p; /* exits later: the walk cannot loop */
		}
		member = t->member > 0;
decided:
		while (depth)
			chain[--depth]->member = member;
	}

	memset(a->cpu_us, 0, sizeof(a->cpu_us));
	memset(a->runs, 0, sizeof(a->runs));
	a->members = 0;
	a->nprog = 0;
	for (size_t i = 0; i < a->n && !r; i++) {
		struct ac_task *t = &a->t[i];

		if (t->member <= 0)
			continue;
		t->kind = classify(a, t);
		a->members++;
		a->cpu_us[t->kind] += t->utime + t->stime;
		if (t->pid == t->tgid)
			a->runs[t->kind]++;
		r = total(a, t, &cap);
	}
	if (!r && a->nprog)
		qsort(a->prog, a->nprog, sizeof(*a->prog), cmp_total);
	free(lead);
	free(chain);
	return r;
}

void ac_account_free(struct ac_account *a)
{
	free(a->t);
	free(a->rules);
	free(a->prog);
	memset(a, 0, sizeof(*a));
}
