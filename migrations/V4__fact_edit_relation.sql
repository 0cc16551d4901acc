-- The relation a fact edit belongs to (e.g. Wikidata-style "P103"), optional. The editor's
-- coachhook-span-relation method keeps one scope span per relation; the other methods ignore it.
ALTER TABLE fact_edit ADD COLUMN relation TEXT;
