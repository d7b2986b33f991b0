<?php
// bench/search.php - the reference of the search benchmark: the /search
// and /search/facets a PHP developer writes first, with PDO under php-fpm,
// on voxcat's own table and indexes. The same query meaning as voxcat (q
// in websearch syntax with its last plain word as a prefix, the same
// filters and sorts) in the naive SQL: every match ranked with ts_rank and
// counted with count(*) OVER (), facets as one GROUP BY each. Not part of
// voxcat; bench/catalog.sh serves it with its own nginx and php-fpm.
declare(strict_types=1);

header('Content-Type: application/json');
header('Cache-Control: no-store');

function fail(int $code, string $msg): never
{
    http_response_code($code);
    echo json_encode(['error' => ['message' => $msg]]);
    exit;
}

try {
    // Persistent: a connection per php-fpm child, as a tuned site has it.
    $db = new PDO('pgsql:host=' . getenv('PGHOST') . ';port=' . getenv('PGPORT')
        . ';dbname=' . getenv('PGDATABASE'), getenv('PGUSER'), null,
        [PDO::ATTR_PERSISTENT => true, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
} catch (PDOException $e) {
    fail(503, 'database unavailable');
}

$where = [];
$params = [];
$q = trim($_GET['q'] ?? '');
$tsq = null;
if ($q !== '') {
    // The last plain word is being typed: match it as a prefix.
    if (preg_match('/^(.*?)([\p{L}\p{N}]+)$/u', $q, $m) && substr_count($q, '"') % 2 === 0
        && !preg_match('/(^|\s)[-"]$/', $m[1]) && strcasecmp($m[2], 'or') !== 0) {
        $tsq = "(websearch_to_tsquery('simple', :rest) && to_tsquery('simple', :prefix || ':*'))";
        $params[':rest'] = $m[1];
        $params[':prefix'] = $m[2];
    } else {
        $tsq = "websearch_to_tsquery('simple', :rest)";
        $params[':rest'] = $q;
    }
    $where[] = "search_vector @@ $tsq";
}
foreach (['status', 'format', 'genre'] as $f) {
    if (($_GET[$f] ?? '') !== '') {
        $where[] = "$f = :$f";
        $params[":$f"] = $_GET[$f];
    }
}
if (($_GET['year_from'] ?? '') !== '') {
    $where[] = 'year >= :year_from';
    $params[':year_from'] = (int)$_GET['year_from'];
}
if (($_GET['year_to'] ?? '') !== '') {
    $where[] = 'year <= :year_to';
    $params[':year_to'] = (int)$_GET['year_to'];
}
$sql_where = $where ? ' WHERE ' . implode(' AND ', $where) : '';

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/search/facets') {
    $out = [];
    foreach (['status' => 'status', 'genre' => 'genre', 'format' => 'format',
              'decade' => "(year / 10 * 10)::text || 's'"] as $name => $expr) {
        $st = $db->prepare("SELECT $expr AS value, count(*) AS count FROM audio_tracks$sql_where"
            . " GROUP BY 1 ORDER BY 2 DESC LIMIT 50");
        $st->execute($params);
        $out[$name] = $st->fetchAll(PDO::FETCH_ASSOC);
    }
    $st = $db->prepare("SELECT count(*) FROM audio_tracks$sql_where");
    $st->execute($params);
    $out['total'] = (int)$st->fetchColumn();
    echo json_encode($out);
    exit;
}

$sorts = ['rank' => 'rank DESC', 'created_at' => 'created_at DESC', 'year' => 'year DESC NULLS LAST',
          'title' => 'title ASC', 'artist' => 'artist ASC', 'duration' => 'duration DESC NULLS LAST',
          'updated_at' => 'updated_at DESC'];
$sort = $_GET['sort'] ?? ($tsq ? 'rank' : 'created_at');
if (!isset($sorts[$sort])) {
    fail(400, 'bad sort');
}
$limit = max(1, min(100, (int)($_GET['limit'] ?? 20)));
$offset = max(0, (int)($_GET['offset'] ?? 0));
$rank = $tsq ? "ts_rank(search_vector, $tsq)" : '0';
$head = $tsq ? "ts_headline('simple', concat_ws(' — ', title, artist, album, genre), $tsq)"
             : "concat_ws(' — ', title, artist, album, genre)";
$st = $db->prepare("SELECT id, title, artist, album, genre, year, duration, format, status,"
    . " created_at, $rank AS rank, $head AS headline, count(*) OVER () AS total"
    . " FROM audio_tracks$sql_where ORDER BY {$sorts[$sort]}, created_at DESC, id"
    . " LIMIT $limit OFFSET $offset");
$st->execute($params);
$rows = $st->fetchAll(PDO::FETCH_ASSOC);
$total = $rows ? (int)$rows[0]['total'] : 0;
foreach ($rows as &$r) {
    unset($r['total']);
}
echo json_encode(['total' => $total, 'limit' => $limit, 'offset' => $offset,
                  'has_more' => $offset + count($rows) < $total, 'items' => $rows]);
