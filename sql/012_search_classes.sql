-- 012_search_classes.sql - indexes for ranking by weight class and for
-- sorted pages of a large result.
--
-- Past 2 000 matches /search ranks by weight class (title + artist, then
-- album, then the rest; newest first within each) instead of ts_rank over
-- every match. A class is found by matching q against part of the
-- vector; these indexes give the planner statistics for those parts (so it
-- reads audio_tracks_created newest first for a common word) and a way in
-- for a rare one.
CREATE INDEX audio_tracks_search_a ON audio_tracks USING gin (ts_filter(search_vector, '{a}'));
CREATE INDEX audio_tracks_search_ab ON audio_tracks USING gin (ts_filter(search_vector, '{a,b}'));

-- Sorting a large result by year or title walks these in the order's own
-- keys (the cursor's: value, created_at DESC, id), so a page reads only
-- its rows instead of sorting every match; the default directions only.
CREATE INDEX audio_tracks_by_year ON audio_tracks (year DESC NULLS LAST, created_at DESC, id);
CREATE INDEX audio_tracks_by_title ON audio_tracks (title, created_at DESC, id);
