/* Janus 1.1.2 ABI: network interface and address helpers (written for this project). */
#ifndef JANUS_IP_UTILS_H
#define JANUS_IP_UTILS_H

#include <ifaddrs.h>
#include <netinet/in.h>

/* Bit set: match by interface name and/or IPv4/IPv6 address. */
typedef enum janus_network_query_options {
	janus_network_query_options_none = 0,
	janus_network_query_options_name = 1,
	janus_network_query_options_ipv4 = 2,
	janus_network_query_options_ipv6 = 4,
	janus_network_query_options_any_ip = 6,
	janus_network_query_options_any = 7
} janus_network_query_options;

typedef struct janus_network_query_config {
	const char *device_name;
	janus_network_query_options mode;
	struct in_addr ipv4;
	struct in6_addr ipv6;
} janus_network_query_config;

/* family is AF_INET, AF_INET6 or AF_UNSPEC (null address). */
typedef struct janus_network_address {
	int family;
	union {
		struct in_addr ipv4;
		struct in6_addr ipv6;
	};
} janus_network_address;

typedef struct janus_network_address_string_buffer {
	int family;
	union {
		char ipv4[INET_ADDRSTRLEN];
		char ipv6[INET6_ADDRSTRLEN];
	};
} janus_network_address_string_buffer;

int janus_network_prepare_device_query(const char *user_value, const janus_network_query_options query_mode, janus_network_query_config *query);
int janus_network_prepare_device_query_default(const char *user_value, janus_network_query_config *query);
const struct ifaddrs *janus_network_query_devices(const struct ifaddrs *ifas, const janus_network_query_config *query);
int janus_network_get_devices_ipv4(const struct ifaddrs *ifa, const janus_network_query_config *query, struct in_addr *result);
int janus_network_get_devices_ipv6(const struct ifaddrs *ifa, const janus_network_query_config *query, struct in6_addr *result);
int janus_network_get_device_address(const struct ifaddrs *ifa, janus_network_address *result);
void janus_network_address_nullify(janus_network_address *a);
int janus_network_address_is_null(const janus_network_address *a);
int janus_network_address_from_sockaddr(struct sockaddr *s, janus_network_address *a);
int janus_network_address_to_string_buffer(const janus_network_address *a, janus_network_address_string_buffer *buf);
void janus_network_address_string_buffer_nullify(janus_network_address_string_buffer *b);
int janus_network_address_string_buffer_is_null(const janus_network_address_string_buffer *b);
const char *janus_network_address_string_from_buffer(const janus_network_address_string_buffer *b);
int janus_network_string_is_valid_address(janus_network_query_options addr_type, const char *user_value);
int janus_network_string_to_address(janus_network_query_options addr_type, const char *user_value, janus_network_address *result);
int janus_network_lookup_interface(const struct ifaddrs *ifas, const char *iface, janus_network_address *result);
int janus_network_detect_local_ip(janus_network_query_options addr_type, janus_network_address *result);
char *janus_network_detect_local_ip_as_string(janus_network_query_options addr_type);

#endif
