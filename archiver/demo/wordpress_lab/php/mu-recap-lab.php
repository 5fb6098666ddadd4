<?php
/**
 * Plugin Name: Recap lab switches
 * Description: The recap-archiver WordPress lab's own must-use plugin: the REST API answers 401 to anonymous
 * calls when the option recap_lab_rest_401 is 1 (as "disable REST API" plugins do), and WordPress sends no mail.
 */

add_filter('rest_authentication_errors', function ($result) {
    if (!empty($result) || is_user_logged_in() || !get_option('recap_lab_rest_401')) {
        return $result;
    }
    return new WP_Error('rest_not_logged_in', 'The REST API is only for logged-in users.', ['status' => 401]);
});

// No mail leaves the lab (wp_install() and comment notifications would call PHPMailer).
add_filter('pre_wp_mail', '__return_false');
