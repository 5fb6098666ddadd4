<?php
/**
 * The recap-archiver WordPress lab, WordPress's side: php lab.php COMMAND [INPUT.json]
 *
 * Commands (each prints one JSON document):
 *   install    wp_install(), permalinks, time zone, the sample content removed
 *   load       users, terms, posts and comments of the demo model (INPUT: the export), Comments Like Dislike metas
 *   plugins    activate both plugins once (their activation hooks)
 *   votes      finish wpDiscuz's install, store its votes its own way, then deactivate both plugins
 *   configure  switch theme, comment options, active plugin and REST switch for one lab cell (INPUT: options)
 *   counts     per post: comment count and comment pages for INPUT's per_page
 *   dump       every approved comment as WordPress holds it, with both plugins' votes
 *   comment    a new approved comment posted now on INPUT's post (post, author, content); prints its id
 *   uncomment  delete INPUT's comment ids for good (what a test added), recounting their posts
 *
 * Run by archiver.demo.wordpress_lab with WORDPRESS_CONFIG and HTTP_HOST set, so Debian's wp-config.php loads
 * the lab's own /etc/wordpress/config-<name>.php.
 */

$command = $argv[1] ?? '';
$input = isset($argv[2]) ? json_decode(file_get_contents($argv[2]), true) : [];
if ($command === 'install') {
    define('WP_INSTALLING', true);
}
require getenv('RECAP_LAB_WP') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

const LAB_PLUGINS = [
    'cld' => 'comments-like-dislike/comments-like-dislike.php',
    'wpdiscuz' => 'wpdiscuz/class.WpdiscuzCore.php',
];

function lab_out($value) {
    echo json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
}

function lab_install($input) {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    wp_install($input['title'], 'admin', 'admin@lab.example', true, '', wp_generate_password(24));
    update_option('blogdescription', $input['tagline']);
    update_option('timezone_string', $input['timezone']);
    update_option('gmt_offset', '');
    update_option('thread_comments', 1);
    update_option('comment_moderation', 0);
    update_option('comment_previously_approved', 0);
    update_option('posts_per_page', $input['posts_per_page']);
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure($input['permalinks']);
    $wp_rewrite->flush_rules(false);  // never write an .htaccess into Debian's /usr/share/wordpress
    foreach (get_posts(['post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1]) as $post) {
        wp_delete_post($post->ID, true);  // "Hello world!", the sample page, the privacy policy draft
    }
    foreach (get_comments(['status' => 'all']) as $comment) {
        wp_delete_comment($comment->comment_ID, true);
    }
    return ['version' => get_bloginfo('version')];
}

function lab_load($input) {
    global $wpdb;
    wp_set_current_user(1);  // an administrator: post HTML is stored as given (unfiltered_html)
    $users = [];
    foreach ($input['authors'] as $a) {
        $id = wp_insert_user([
            'user_login' => $a['nicename'], 'user_nicename' => $a['nicename'], 'display_name' => $a['name'],
            'nickname' => $a['name'], 'user_email' => $a['email'], 'user_pass' => wp_generate_password(24),
            'role' => 'author',
        ]);
        if (is_wp_error($id)) {
            throw new Exception($id->get_error_message());
        }
        $users[$a['id']] = $id;
    }
    $terms = [];
    foreach ($input['terms'] as $t) {
        $made = wp_insert_term($t['name'], $t['taxonomy'], ['slug' => $t['slug']]);
        if (is_wp_error($made)) {
            throw new Exception($t['name'] . ': ' . $made->get_error_message());
        }
        $terms[$t['id']] = (int) $made['term_id'];
    }
    foreach ($input['posts'] as $p) {
        $id = wp_insert_post([
            'import_id' => $p['id'], 'post_title' => $p['title'], 'post_name' => $p['slug'],
            'post_content' => $p['content'], 'post_status' => 'publish', 'post_type' => 'post',
            'post_author' => $users[$p['author']], 'post_date' => $p['date'], 'post_date_gmt' => $p['date_gmt'],
            'comment_status' => 'open', 'ping_status' => 'closed',
            'post_category' => array_map(function ($t) use ($terms) { return $terms[$t]; }, $p['categories']),
        ], true);
        if (is_wp_error($id) || $id != $p['id']) {
            throw new Exception('post ' . $p['id'] . ' got id ' . (is_wp_error($id) ? $id->get_error_message() : $id));
        }
        wp_set_post_terms($id, array_map(function ($t) use ($terms) { return $terms[$t]; }, $p['tags']), 'post_tag');
    }
    // Comments oldest id first (a parent always before its replies). wp_insert_comment() takes no comment_ID,
    // so each row gets the model's id by SQL right after its insert, before anything refers to it.
    $changed = 0;
    foreach ($input['comments'] as $c) {
        $new = wp_insert_comment([
            'comment_post_ID' => $c['post'], 'comment_author' => $c['author'], 'comment_author_email' => $c['email'],
            'comment_author_url' => $c['author_url'] ?? '', 'comment_author_IP' => '127.0.0.1',
            'comment_content' => $c['content'], 'comment_date' => $c['date'], 'comment_date_gmt' => $c['date_gmt'],
            'comment_parent' => $c['parent'] ?? 0, 'comment_approved' => 1, 'comment_type' => 'comment',
            'comment_agent' => 'recap-archiver lab', 'user_id' => isset($c['user']) ? $users[$c['user']] : 0,
        ]);
        if (!$new) {
            throw new Exception('comment ' . $c['id'] . ' not inserted: ' . $wpdb->last_error);
        }
        if ($new != $c['id']) {
            $wpdb->update($wpdb->comments, ['comment_ID' => $c['id']], ['comment_ID' => $new]);
            clean_comment_cache($new);
            $changed++;
        }
        // Comments Like Dislike 1.2.4 keeps its counts in these two metas (inc/classes/cld-ajax.php).
        add_comment_meta($c['id'], 'cld_like_count', $c['likes'], true);
        add_comment_meta($c['id'], 'cld_dislike_count', $c['dislikes'] ?? 0, true);
    }
    foreach ($input['comments'] as $c) {
        if ($c['status'] === 'trash') {
            wp_trash_comment($c['id']);
        }
    }
    foreach ($input['posts'] as $p) {
        wp_update_comment_count_now($p['id']);
    }
    return ['users' => count($users), 'terms' => count($terms), 'posts' => count($input['posts']),
            'comments' => count($input['comments']), 'ids_set_by_sql' => $changed];
}

function lab_plugins($input) {
    global $wpdb;
    wp_set_current_user(1);
    foreach (LAB_PLUGINS as $file) {
        $result = activate_plugin($file);  // includes the plugin and runs its activation hooks
        if (is_wp_error($result)) {
            throw new Exception($file . ': ' . $result->get_error_message());
        }
    }
    // Comments Like Dislike installs itself switched off (basic_settings.status 0); its owner ticks "Enable".
    $cld = get_option('cld_settings');
    $cld['basic_settings']['status'] = 1;
    update_option('cld_settings', $cld);
    return ['active_plugins' => get_option('active_plugins')];
}

function lab_votes($input) {
    global $wpdb;
    wp_set_current_user(1);
    // wpDiscuz finishes installing on the first admin page view; this is that step (its objects exist once
    // WordPress has loaded it as an active plugin, hence a second PHP run after 'plugins').
    $wpdiscuz = wpDiscuz();
    $wpdiscuz->pluginNewVersion();
    update_option('wpdiscuz_wizard_completed', 1);
    $options = get_option('wc_options');
    $options['thread_layouts']['votingButtonsStyle'] = 1;  // likes and dislikes apart
    update_option('wc_options', $options);
    // Its votes: one row per visitor and vote in {prefix}wc_users_voted, as addVoteType() writes them,
    // then its own regenerateVoteMetas() derives the metas the comment list reads.
    $table = $wpdb->prefix . 'wc_users_voted';
    $ids = [];
    foreach ($input['votes'] as $v) {
        $rows = [];
        foreach ([[1, $v['likes']], [-1, $v['dislikes']]] as [$type, $count]) {
            for ($i = 0; $i < $count; $i++) {
                $rows[] = $wpdb->prepare('(%s,%d,%d,1,%d,%d)', md5("visitor-$type-$i"), $v['id'], $type, $v['post'], $v['time']);
            }
        }
        foreach (array_chunk($rows, 2000) as $chunk) {
            $wpdb->query("INSERT INTO `$table` (`user_id`,`comment_id`,`vote_type`,`is_guest`,`post_id`,`date`) VALUES " . implode(',', $chunk));
        }
        $ids[] = $v['id'];
    }
    $wpdiscuz->dbManager->regenerateVoteMetas($ids);
    update_option('active_plugins', []);
    return ['wpdiscuz' => get_option('wpdiscuz_version'), 'voted_comments' => count($ids),
            'vote_rows' => (int) $wpdb->get_var("SELECT COUNT(*) FROM `$table`")];
}

function lab_configure($input) {
    if (get_option('stylesheet') !== $input['theme']) {
        switch_theme($input['theme']);
    }
    update_option('page_comments', $input['page_comments'] ? 1 : 0);
    update_option('comments_per_page', $input['comments_per_page']);
    update_option('default_comments_page', $input['default_comments_page']);
    update_option('comment_order', 'asc');
    update_option('thread_comments', 1);
    update_option('thread_comments_depth', $input['thread_comments_depth']);
    update_option('recap_lab_rest_401', $input['rest'] === '401' ? 1 : 0);
    $active = $input['plugin'] === 'none' ? [] : [LAB_PLUGINS[$input['plugin']]];
    update_option('active_plugins', $active);
    delete_option('rewrite_rules');  // rebuilt on the next request, with the active plugins' rules
    wp_cache_flush();
    return ['theme' => get_option('stylesheet'), 'active_plugins' => get_option('active_plugins')];
}

function lab_counts($input) {
    add_filter('pre_option_page_comments', function () { return 1; });  // pages as if paging were on
    $out = [];
    foreach (get_posts(['numberposts' => -1, 'post_status' => 'publish']) as $post) {
        $comments = get_comments(['post_id' => $post->ID, 'status' => 'approve', 'order' => 'ASC']);
        $out[$post->ID] = [
            'comment_count' => (int) get_comments_number($post->ID),
            'pages' => (int) get_comment_pages_count($comments, $input['per_page'], true),
        ];
    }
    return $out;
}

function lab_dump($input) {
    $out = [];
    foreach (get_comments(['status' => 'approve', 'orderby' => 'comment_ID', 'order' => 'ASC']) as $c) {
        $votes = get_comment_meta($c->comment_ID, 'wpdiscuz_votes_seperate', true);
        $out[] = [
            'id' => (int) $c->comment_ID, 'post' => (int) $c->comment_post_ID, 'parent' => (int) $c->comment_parent,
            'author' => $c->comment_author, 'author_url' => $c->comment_author_url,
            'date_gmt' => $c->comment_date_gmt, 'content' => $c->comment_content,
            // what core's comment_text filters print (without any plugin's widget)
            'rendered' => wpautop(convert_chars(convert_smilies(wptexturize($c->comment_content)))),
            'cld' => [get_comment_meta($c->comment_ID, 'cld_like_count', true), get_comment_meta($c->comment_ID, 'cld_dislike_count', true)],
            'wpdiscuz' => $votes ? [$votes['like'], $votes['dislike']] : null,
        ];
    }
    return $out;
}

function lab_comment($input) {
    // Dated now, as a reader's comment is: the change a re-crawl's signals must find.
    $id = wp_insert_comment([
        'comment_post_ID' => $input['post'], 'comment_author' => $input['author'],
        'comment_author_email' => 'reader@mail.example', 'comment_content' => $input['content'],
        'comment_approved' => 1, 'comment_type' => 'comment', 'comment_agent' => 'recap-archiver lab',
        'comment_author_IP' => '127.0.0.1',
    ]);
    if (!$id) {
        throw new Exception('comment not inserted');
    }
    return ['id' => (int) $id, 'date_gmt' => get_comment($id)->comment_date_gmt];
}

function lab_uncomment($input) {
    $posts = [];
    foreach ($input['ids'] as $id) {
        $c = get_comment($id);
        if ($c) {
            $posts[] = (int) $c->comment_post_ID;
            wp_delete_comment($id, true);
        }
    }
    foreach (array_unique($posts) as $post) {
        wp_update_comment_count_now($post);
    }
    return ['deleted' => count($posts)];
}

$commands = ['install' => 'lab_install', 'load' => 'lab_load', 'plugins' => 'lab_plugins', 'votes' => 'lab_votes',
             'configure' => 'lab_configure', 'counts' => 'lab_counts', 'dump' => 'lab_dump',
             'comment' => 'lab_comment', 'uncomment' => 'lab_uncomment'];
if (!isset($commands[$command])) {
    fwrite(STDERR, "unknown command: $command\n");
    exit(2);
}
lab_out($commands[$command]($input));
