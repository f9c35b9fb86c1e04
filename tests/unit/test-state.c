// SPDX-License-Identifier: GPL-2.0-or-later
/* One root's state (lib/state/rootstate.c): what accel-bootstrap and
 * accelctl both read back, so that what one allowed the other keeps. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/base/util.h"
#include "accel/state/defaults.h"
#include "accel/state/rootstate.h"

static char dir[] = "/tmp/accel-test-state-XXXXXX";
static char store[sizeof(dir) + 16];
static struct ac_rootstate rs;

static void setup(void)
{
	struct ac_err err;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(store, sizeof(store), "%s/store", dir);
	cr_assert_eq(ac_rootstate_open(&rs, dir, "/srv/armel", &err), 0, "%s", err.msg);
	cr_assert_eq(ac_mkdir_p(rs.statefd, rs.rel, 0755), 0);
	cr_assert_eq(ac_state_put(&rs, AC_STATE_ROOT, "/srv/armel\n"), 0);
}

static void teardown(void)
{
	ac_rootstate_close(&rs);
	ac_rm_rf(AT_FDCWD, dir);
}

TestSuite(state, .init = setup, .fini = teardown);

Test(state, key_names_the_directory)
{
	/* STATE/roots/KEY, KEY the FNV-1a of the root path: never changes. */
	char want[64];

	snprintf(want, sizeof(want), "roots/%016llx", (unsigned long long)ac_fnv1a64("/srv/armel"));
	cr_assert_str_eq(rs.rel, want);
	cr_assert(ac_rootstate_exists(&rs));
}

Test(state, skew_recorded_by_one_is_kept_by_the_other)
{
	struct ac_store s;
	struct ac_err err;

	cr_assert_eq(ac_rootstate_store(&rs, store, 0, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.allow_skew, 0);
	cr_assert_eq(s.allow_toolchain_skew, 0);
	ac_store_close(&s);
	/* accelctl enable --allow-toolchain-skew gcc records it ... */
	cr_assert_eq(ac_rootstate_allow(&rs, AC_SKEW_TOOLCHAIN, &err), 0, "%s", err.msg);
	/* ... and accel-bootstrap, rerun without options, opens the store with it. */
	cr_assert_eq(ac_rootstate_store(&rs, NULL, 0, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.allow_toolchain_skew, 1);
	cr_assert_eq(s.allow_skew, 0);
	ac_store_close(&s);
	cr_assert_eq(ac_rootstate_store(&rs, store, AC_SKEW_PACKAGES, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.allow_skew, 1);
	ac_store_close(&s);
}

Test(state, files_read_by_their_size)
{
	char *text = NULL, big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(ac_state_put(&rs, AC_STATE_SKEW, big), 0);
	cr_assert_eq(ac_state_read(&rs, AC_STATE_SKEW, 4096, &text), -E2BIG);
	cr_assert_null(text);
	cr_assert_eq(ac_state_read(&rs, AC_STATE_SKEW, 8192, &text), 0);
	cr_assert_eq(strlen(text), sizeof(big) - 1);
	free(text);
	cr_assert_eq(ac_state_read(&rs, AC_STATE_MANIFEST, 8192, &text), -ENOENT);
}

Test(state, enabled_sorted_unique)
{
	char **v;
	size_t n;

	cr_assert_eq(ac_state_put(&rs, AC_STATE_ENABLED, "/usr/bin/sed\n/bin/true\nnot-a-path\n/usr/bin/sed\n"), 0);
	cr_assert_eq(ac_enabled_read(&rs, &v, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0], "/bin/true");
	cr_assert_str_eq(v[1], "/usr/bin/sed");
	ac_strv_free(v, n);
}

Test(defaults, kept_emulated_with_a_reason)
{
	/* What accelctl account says instead of an enable line. */
	cr_assert_not_null(ac_default_unfaithful("python3.11-minimal", "/usr/bin/python3.11"));
	cr_assert_not_null(ac_default_unfaithful("libc-bin", "/usr/bin/getconf"));
	cr_assert_not_null(ac_default_unfaithful("doxygen", "/usr/bin/doxygen"));
	/* the rest of those packages, and everything else, can be enabled */
	cr_assert_null(ac_default_unfaithful("libc-bin", "/usr/bin/locale"));
	cr_assert_null(ac_default_unfaithful("man-db", "/usr/bin/man-recode"));
	cr_assert_null(ac_default_unfaithful("coreutils", "/usr/bin/python-ish"));
}
