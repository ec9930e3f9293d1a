/* Janus 1.1.2 ABI: external logger interface, logger API version 3 (written for this project). */
#ifndef JANUS_LOGGER_H
#define JANUS_LOGGER_H

#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>
#include <inttypes.h>
#include <glib.h>
#include <jansson.h>
#include "../utils.h"

/* The core refuses loggers whose get_api_compatibility() returns less than this. */
#define JANUS_LOGGER_API_VERSION 3

/* Initializer for a janus_logger: every method NULL, then the caller's designators. */
#define JANUS_LOGGER_INIT(...) { \
		.init = NULL, \
		.destroy = NULL, \
		.get_api_compatibility = NULL, \
		.get_version = NULL, \
		.get_version_string = NULL, \
		.get_description = NULL, \
		.get_name = NULL, \
		.get_author = NULL, \
		.get_package = NULL, \
		.incoming_logline = NULL, \
		## __VA_ARGS__ }

typedef struct janus_logger janus_logger;

/* Methods a logger exposes (returned by its create()). */
struct janus_logger {
	int (* const init)(const char *server_name, const char *config_path);
	void (* const destroy)(void);
	int (* const get_api_compatibility)(void);
	int (* const get_version)(void);
	const char *(* const get_version_string)(void);
	const char *(* const get_description)(void);
	const char *(* const get_name)(void);
	const char *(* const get_author)(void);
	const char *(* const get_package)(void);
	void (* const incoming_logline)(int64_t timestamp, const char *line);   /* line is only borrowed */
	json_t *(* const handle_request)(json_t *request);
};

/* Type of the "create" symbol every logger library exports. */
typedef janus_logger* create_l(void);

#endif
