// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * retell-sample: a host program with compiled-in strings that name the host,
 * referenced each way a compiler references a string, for the unit test of
 * accel/view/retell.h (tests/unit/test-retell.c): it prints them, one a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef LOADS_CODE
#include <dlfcn.h>
#endif

/* Referenced from data: a pointer with a relative relocation. */
const char *host_type = "x86_64-pc-linux-gnu";
volatile int spacer;

/* Each use in a function of its own, apart from the others' code. */
__attribute__((noinline)) static void from_code(void)
{
	/* Referenced from code (lea), longer in the root's build. */
	puts("x86_64-linux-gnu-thread-multi");
}

/* A tail of host_type's string (the linker merges it into that one). */
__attribute__((noinline)) static void tail(void)
{
	puts("linux-gnu");
}

__attribute__((noinline)) static void apart(void)
{
	for (int i = 0; i < 3; i++)
		spacer += i * spacer + 7;
}

__attribute__((noinline)) static int with_length(void)
{
	/* Used with its length: must stay. */
	return write(1, "/5.36.0/x86_64-linux-gnu-thread-multi", 37) == 37 && write(1, "\n", 1) == 1;
}

/* Data paths as pkgconf has them: its .pc directories (longer in the
 * root's build) and its system library directories, which list the host's
 * other ABIs (shorter). */
__attribute__((noinline)) static void search_paths(void)
{
	puts("/usr/local/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:"
	     "/usr/share/pkgconfig");
	apart();
	puts("/lib:/lib/i386-linux-gnu:/lib/x86_64-linux-gnu:/lib32:/usr/lib:"
	     "/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnux32:/usr/libx32");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0); /* in order with write(2) */
#ifdef LOADS_CODE
	if (getenv("ACCEL_NEVER_SET")) { /* a file that can load code */
		void *lib = dlopen("libnothing.so", RTLD_NOW);

		if (lib)
			dlclose(lib);
	}
#endif
	search_paths();
	puts(host_type);
	apart();
	from_code();
	apart();
	if (!with_length())
		return 1;
	apart();
	/* The same length, and shorter. */
	puts("amd64");
	puts("x86_64");
	apart();
	tail();
	return 0;
}
