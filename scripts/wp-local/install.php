<?php
/*
 * Non-interactive WordPress installer for scripts/wp-local.sh (replaces wp-cli, which Debian 12
 * does not package and which cannot be downloaded offline).
 *
 * Usage: php install.php WPDIR USER PASS EMAIL TIMEZONE [PERMALINKS]   (TIMEZONE '' = leave as is;
 *        PERMALINKS pretty (default, /%postname%/) or plain (WordPress's "Plain": no rewrite rules))
 *
 * Installs the site if needed, sets the permalinks and the time zone, makes sure a subscriber
 * account exists, then mints one application password for the admin and one for the subscriber.
 * Prints shell-safe KEY=value lines on stdout (nothing else): APP_PASSWORD, SUBSCRIBER_USER,
 * SUBSCRIBER_PASSWORD, TIMEZONE (the effective one). Exits non-zero with a message on stderr on any failure.
 */

if ($argc < 6) {
    fwrite(STDERR, "usage: php install.php WPDIR USER PASS EMAIL TIMEZONE\n");
    exit(2);
}
[, $dir, $user, $pass, $email, $timezone] = $argv;
$permalinks = $argv[6] ?? 'pretty';

// wp-load.php expects a web request; give it the bits it reads so no notices are printed.
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';

define('WP_INSTALLING', true);
require $dir . '/wp-load.php';

// Pluggable: there is no mail on the machine, and wp_install() would try to send one.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// wp_install() self-tests pretty permalinks with a loopback HTTP request; we are offline.
add_filter('pre_http_request', fn() => new WP_Error('offline', 'no network'), 1);

function fail($what, $err) {
    fwrite(STDERR, "install.php: $what failed: " . (is_wp_error($err) ? $err->get_error_message() : var_export($err, true)) . "\n");
    exit(1);
}

if (!is_blog_installed()) {
    $r = wp_install('Test Blog', $user, $email, true, '', wp_slash($pass));
    if (is_wp_error($r)) fail('wp_install', $r);
}

update_option('permalink_structure', $permalinks === 'plain' ? '' : '/%postname%/');
flush_rewrite_rules(true);
// An empty TIMEZONE keeps what the site has (restart of a kept instance); UTC is WordPress's default.
if ($timezone === 'UTC') {
    update_option('timezone_string', '');
    update_option('gmt_offset', 0);
} elseif ($timezone !== '') {
    if (!in_array($timezone, timezone_identifiers_list(), true)) fail('time zone', "unknown time zone $timezone");
    update_option('timezone_string', $timezone);
}

$admin = get_user_by('login', $user);
if (!$admin) fail('admin lookup', "no user $user");

// A subscriber (authenticated but not allowed to create) for 403 tests.
$sub_login = 'subscriber';
$sub = get_user_by('login', $sub_login);
if (!$sub) {
    $sub_id = wp_insert_user([
        'user_login' => $sub_login,
        'user_pass' => wp_generate_password(24, false),
        'user_email' => 'subscriber@example.com',
        'role' => 'subscriber',
    ]);
    if (is_wp_error($sub_id)) fail('subscriber creation', $sub_id);
    $sub = get_user_by('id', $sub_id);
}

$name = 'tests-' . gmdate('YmdHis') . '-' . wp_generate_password(4, false);
$r = WP_Application_Passwords::create_new_application_password($admin->ID, ['name' => $name]);
if (is_wp_error($r)) fail('application password', $r);
$sr = WP_Application_Passwords::create_new_application_password($sub->ID, ['name' => $name]);
if (is_wp_error($sr)) fail('subscriber application password', $sr);

// Application passwords are [A-Za-z0-9] only (chunk_split adds spaces later): shell-safe.
echo 'APP_PASSWORD=', WP_Application_Passwords::chunk_password($r[0]), "\n";
echo 'SUBSCRIBER_USER=', $sub_login, "\n";
echo 'SUBSCRIBER_PASSWORD=', WP_Application_Passwords::chunk_password($sr[0]), "\n";
echo 'TIMEZONE=', (get_option('timezone_string') ?: 'UTC'), "\n";
