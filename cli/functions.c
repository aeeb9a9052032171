/* cli/functions.c - `sluice functions [NAME] [--markdown]`: the SQL
 * function reference of the function table (expr/fn_doc.c). Without NAME
 * every function by group; with NAME its entry and its example's value;
 * --markdown gives docs/FUNCTIONS.md. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "expr/fn.h"

int sl_cli_functions(int argc, char **argv)
{
	const char *name = NULL;
	bool md = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--markdown"))
			md = true;
		else if (argv[i][0] == '-')
			return sl_cli_usage_error("functions: unknown option "
						  "'%s'",
						  argv[i]);
		else if (!name)
			name = argv[i];
		else
			return sl_cli_usage_error("functions takes one NAME, "
						  "got '%s' too",
						  argv[i]);
	}
	if (name && md)
		return sl_cli_usage_error("functions: --markdown lists every "
					  "function; it takes no NAME");
	char lname[128];
	if (name) {
		size_t n = strlen(name);
		if (n >= sizeof(lname))
			n = sizeof(lname) - 1;
		for (size_t i = 0; i < n; i++)
			lname[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
						  ? name[i] + 32
						  : name[i]);
		lname[n] = 0;
		name = lname;
	}
	sl_err err = { 0 };
	char *ref = sl_func_reference(name, md, &err);
	if (!ref) {
		fprintf(stderr, "sluice: %s\n", err.msg);
		return SL_EXIT_FAIL;
	}
	fputs(ref, stdout);
	free(ref);
	return SL_EXIT_OK;
}
