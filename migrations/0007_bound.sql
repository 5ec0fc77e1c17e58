-- fastcms_bound holds the result of an increment ("views+": n) to the
-- field's min and max inside the UPDATE that computes it, so that an
-- update is one statement and a result out of range undoes it whole. It
-- raises numeric_value_out_of_range with the field in DETAIL and the value
-- (and, for bulk updates, the record) in HINT, which internal/records
-- turns into a 422 naming the field.
CREATE FUNCTION fastcms_bound(v double precision, lo double precision, hi double precision, field text, record uuid)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v < lo OR v > hi THEN
        RAISE EXCEPTION 'fastcms: out of range' USING ERRCODE = '22003', DETAIL = field,
            HINT = v::text || COALESCE(' ' || record::text, '');
    END IF;
    RETURN v;
END
$$;
