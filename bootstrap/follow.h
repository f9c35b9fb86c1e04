/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bootstrap/follow.h - the default set follows the root's packages.
 *
 * A root set up with the default set keeps it while its packages change:
 * sbuild and pbuilder install a package's build dependencies into a fresh
 * session after it was set up, and cmake, bison or gettext installed then
 * must run natively too. A follower process per such root watches the
 * root's dpkg database (inotify on ROOT/var/lib/dpkg: `status` replaced)
 * and, once dpkg and apt are done (their lock files free, no change for a
 * second), runs accel-bootstrap on the root again, which recomputes the
 * default set and hands the daemon the new manifest. It exits when the
 * root's view is gone. After `accelctl disable` the set is the user's: the
 * re-run then applies that set as it is (new versions of its packages).
 * accel-bootstrap starts it and --teardown stops it;
 * its pid is STATE/roots/KEY/follow.pid, its messages go to follow.log.
 */
#ifndef ACCEL_BOOTSTRAP_FOLLOW_H
#define ACCEL_BOOTSTRAP_FOLLOW_H

#define FOLLOW_PID "follow.pid"
#define FOLLOW_LOG "follow.log"

/*
 * Start the follower of root unless one runs: it runs argv (accel-bootstrap
 * with the options of this set-up; argv[0] absolute) after each change.
 * dir: the root's state directory (absolute). 0 or -errno.
 */
int follow_start(const char *root, const char *mountpoint, const char *dir, char *const argv[]);
/* Stop the follower recorded in dir, if it runs, and what it runs. */
void follow_stop(const char *dir);

#endif /* ACCEL_BOOTSTRAP_FOLLOW_H */
