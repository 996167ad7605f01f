<?php
/*
 * Router for `php -S` (scripts/wp-local.sh): serve real files as they are, send everything else
 * to WordPress's index.php. Without it, a path whose last segment contains a dot (a pretty
 * permalink like /v1.2-notes/, a missing upload) would get php -S's own 404 instead of WordPress.
 */
$root = $_SERVER['DOCUMENT_ROOT'];
$path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if ($path !== '/' && file_exists($root . $path)) {
    if (!is_dir($root . $path)) return false;                                  // real file: serve as-is
    if (file_exists(rtrim($root . $path, '/') . '/index.php')) return false;  // e.g. /wp-admin/
}
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir($root);
require $root . '/index.php';
