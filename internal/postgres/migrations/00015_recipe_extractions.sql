-- The results a recipe derives from each data series uploaded to its runs
-- (PRODUCT.md §13): [{method, metric, unit, series, y, at}], validated by
-- spectra.RecipeDraft.Validate, signed with the recipe (SchemeV2, when
-- there are any).

-- +goose Up
ALTER TABLE recipes ADD COLUMN extractions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(extractions) = 'array');

-- +goose Down
ALTER TABLE recipes DROP COLUMN extractions;
