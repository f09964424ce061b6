-- Chapter 25: page blocks stored double-encoded (json.dumps before the insert: a JSONB string holding
-- the array) are turned back into the array. (The filter-config grants of the production file concern
-- public_site_filter_config, which the lab does not have.)
UPDATE public.public_site_pages SET blocks = (blocks #>> '{}')::jsonb WHERE jsonb_typeof(blocks) = 'string';
