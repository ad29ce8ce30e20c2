/* `ingot version`: the version of ingot and of the libraries it was built and runs with. */
#include <stdbool.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "cmd/commands.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: ingot version [-v]\n\n"
		       "  -v, --verbose         also print the versions of the libraries in use\n");
		return 0;
	}
	bool verbose = argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--verbose") == 0);
	printf("ingot %s\n", INGOT_VERSION);
	if (!verbose)
		return 0;
	printf("libevent %s\n", event_get_version());
	printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
	printf("jansson %s\n", jansson_version_str());
	printf("libyaml %s\n", yaml_get_version_string());
	return 0;
}
