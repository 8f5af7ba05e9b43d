import type { Knex } from 'knex';

/**
 * What a bulk import of residents costs the database, made smaller without giving up a guarantee.
 * Each item below is work PostgreSQL did once per imported row.
 *
 * - The lookup hashes compare bytewise. They are base64url HMACs: equality is all anyone asks of them,
 *   and a linguistic collation only made each comparison in the unique document index dearer. Under
 *   "C" equality is the same, so every lookup finds what it found.
 * - The phone index is a hash index: phones are only ever looked up by equality (search, verification
 *   lists, phone + name matching), and a hash index takes a new entry for less than a B-tree of 43-byte
 *   random keys. (Documents keep their B-tree: only B-trees enforce uniqueness.)
 * - No foreign key check per resident row. A declared key runs one lookup per inserted row; a whole
 *   import is now checked in one query per statement, keeping what the keys guaranteed:
 *   · a resident in a household names an existing household, and — new — one in the resident's own
 *     building (whose key holds the building in grid_unit): resident_household_check(), after every
 *     INSERT and UPDATE statement on resident. Its failure is reported as the key's was (23503,
 *     resident_household_fk).
 *   · that household cannot go away before or after: households are kept — never deleted, truncated,
 *     renumbered or moved to another building (a household is deactivated instead; moves and tasks
 *     refer to them too). So nothing another transaction does can undo the check, at any isolation.
 *   · a resident without a household names an existing building through unit_without_household, a
 *     generated copy of unit_id that is NULL when there is a household, under a declared key (NULL
 *     keys are not looked up, so it costs the import nothing).
 *   Residents an upsert had left in a household of another building (it kept the household when only
 *   a building was given) leave that household.
 * - The tag sync trigger passes over residents without tags (most of them) instead of unnesting an
 *   empty array for each.
 * - Inserts of residents and households (both created in bulk by Import Many) are audited per
 *   statement and building instead of per row: one audit row names who inserted, when, in which
 *   transaction, and the ids of every row that statement created in that building (details.ids;
 *   entity_id too when it is a single row). An import of 100,000 residents writes some thousands of
 *   audit rows instead of 100,000, every id still recorded, and unit_id still set, so a scoped
 *   credential sees the rows of its buildings as before. Updates and deletes stay audited per row
 *   with their values (audit_changes). residentCreation() (domain/resident/residentAudit.ts) answers
 *   who created a given resident.
 */
export function residentImport(schema: string): Knex.Migration {
	const s = `"${schema}"`;
	return {
		async up(knex) {
			await knex.raw(`
				ALTER TABLE ${s}.resident ALTER COLUMN doc_hash TYPE text COLLATE "C", ALTER COLUMN phone_hash TYPE text COLLATE "C";
				DROP INDEX ${s}.resident_phone_idx;
				CREATE INDEX resident_phone_idx ON ${s}.resident USING hash (phone_hash) WHERE phone_hash IS NOT NULL;

				UPDATE ${s}.resident r SET household_id = NULL, updated_at = now()
				FROM ${s}.household h WHERE h.id = r.household_id AND h.unit_id <> r.unit_id;
				ALTER TABLE ${s}.resident
					DROP CONSTRAINT resident_household_fk,
					DROP CONSTRAINT resident_unit_fk,
					ADD COLUMN unit_without_household bigint GENERATED ALWAYS AS (CASE WHEN household_id IS NULL THEN unit_id END) STORED;
				ALTER TABLE ${s}.resident ADD CONSTRAINT resident_unit_fk FOREIGN KEY (unit_without_household) REFERENCES ${s}.grid_unit (id);
				${householdKey(s)}
				-- the generated column repeats unit_id: the audit of changes leaves it out with the protected columns
				DROP TRIGGER resident_audit_update ON ${s}.resident;
				DROP TRIGGER resident_audit_delete ON ${s}.resident;
				CREATE TRIGGER resident_audit_update AFTER UPDATE ON ${s}.resident
					REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
					EXECUTE FUNCTION ${s}.audit_changes('id', 'unit_id', '{doc_hash,doc_enc,phone_hash,phone_enc,unit_without_household}');
				CREATE TRIGGER resident_audit_delete AFTER DELETE ON ${s}.resident
					REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
					EXECUTE FUNCTION ${s}.audit_changes('id', 'unit_id', '{doc_hash,doc_enc,phone_hash,phone_enc,unit_without_household}');

				CREATE OR REPLACE FUNCTION ${s}.sync_resident_tags() RETURNS trigger LANGUAGE plpgsql AS $f$
				BEGIN
					IF TG_OP = 'UPDATE' THEN
						DELETE FROM ${s}.resident_tag t USING new_rows n, old_rows o
						WHERE o.id = n.id AND t.resident_id = n.id AND (n.tags IS DISTINCT FROM o.tags OR n.unit_id <> o.unit_id);
						INSERT INTO ${s}.resident_tag (tag, resident_id, unit_id)
						SELECT DISTINCT x.tag, n.id, n.unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id CROSS JOIN unnest(n.tags) AS x(tag)
						WHERE (n.tags IS DISTINCT FROM o.tags OR n.unit_id <> o.unit_id) AND cardinality(n.tags) > 0;
					ELSE
						INSERT INTO ${s}.resident_tag (tag, resident_id, unit_id)
						SELECT DISTINCT x.tag, n.id, n.unit_id FROM new_rows n CROSS JOIN unnest(n.tags) AS x(tag)
						WHERE cardinality(n.tags) > 0;
					END IF;
					RETURN NULL;
				END
				$f$;

				-- For tables keyed by id with their building in unit_id (resident, household). Static SQL: its plan
				-- is kept per table, where a dynamic statement would be planned again for every insert.
				CREATE FUNCTION ${s}.audit_inserted_ids() RETURNS trigger LANGUAGE plpgsql AS $f$
				BEGIN
					INSERT INTO ${s}.audit_log (action, entity, entity_id, unit_id, actor, details)
					SELECT 'insert', TG_TABLE_NAME, CASE WHEN count(*) = 1 THEN min(n.id)::text END, n.unit_id, ${s}.current_actor(),
						jsonb_build_object('ids', array_agg(n.id ORDER BY n.id))
					FROM new_rows n GROUP BY n.unit_id;
					RETURN NULL;
				END
				$f$;
				DROP TRIGGER resident_audit_insert ON ${s}.resident;
				CREATE TRIGGER resident_audit_insert AFTER INSERT ON ${s}.resident
					REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
					EXECUTE FUNCTION ${s}.audit_inserted_ids();
				DROP TRIGGER household_audit_insert ON ${s}.household;
				CREATE TRIGGER household_audit_insert AFTER INSERT ON ${s}.household
					REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
					EXECUTE FUNCTION ${s}.audit_inserted_ids();
			`);
		},
		async down() {
			throw new Error('The resident import migration cannot be undone; drop the schema instead.');
		},
	};
}

/** Residents' households, checked per statement, and households kept (see the comment above). */
function householdKey(s: string): string {
	return `
		-- Owned by the schema owner: like a declared key, it sees every household whatever the scope.
		CREATE FUNCTION ${s}.resident_household_check() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
			SET search_path = pg_catalog, pg_temp AS $f$
		DECLARE
			bad record;
		BEGIN
			IF TG_OP = 'UPDATE' THEN
				-- only rows whose household or building changed, as a key re-checks only a changed key
				SELECT n.household_id, n.unit_id INTO bad FROM new_rows n JOIN old_rows o ON o.id = n.id
				WHERE n.household_id IS NOT NULL AND (n.household_id, n.unit_id) IS DISTINCT FROM (o.household_id, o.unit_id)
					AND NOT EXISTS (SELECT 1 FROM ${s}.household h WHERE h.id = n.household_id AND h.unit_id = n.unit_id)
				LIMIT 1;
			ELSE
				-- each household once: an import puts several residents in most
				SELECT n.household_id, n.unit_id INTO bad FROM (SELECT DISTINCT household_id, unit_id FROM new_rows WHERE household_id IS NOT NULL) n
				WHERE NOT EXISTS (SELECT 1 FROM ${s}.household h WHERE h.id = n.household_id AND h.unit_id = n.unit_id)
				LIMIT 1;
			END IF;
			IF FOUND THEN
				RAISE EXCEPTION 'insert or update on table "resident" violates foreign key constraint "resident_household_fk"'
					USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'resident_household_fk', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
						DETAIL = format('Key (household_id, unit_id)=(%s, %s) is not present in table "household".', bad.household_id, bad.unit_id);
			END IF;
			RETURN NULL;
		END
		$f$;
		CREATE TRIGGER resident_household_insert AFTER INSERT ON ${s}.resident
			REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.resident_household_check();
		CREATE TRIGGER resident_household_update AFTER UPDATE ON ${s}.resident
			REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.resident_household_check();

		CREATE FUNCTION ${s}.household_kept() RETURNS trigger LANGUAGE plpgsql AS $f$
		BEGIN
			RAISE EXCEPTION 'households are kept: % is not allowed (deactivate the household instead)',
				CASE WHEN TG_OP = 'UPDATE' THEN 'changing its id or building' ELSE TG_OP END
				USING ERRCODE = 'restrict_violation';
		END
		$f$;
		CREATE TRIGGER household_kept_delete BEFORE DELETE ON ${s}.household
			FOR EACH ROW EXECUTE FUNCTION ${s}.household_kept();
		CREATE TRIGGER household_kept_truncate BEFORE TRUNCATE ON ${s}.household
			FOR EACH STATEMENT EXECUTE FUNCTION ${s}.household_kept();
		CREATE TRIGGER household_kept_key BEFORE UPDATE OF id, unit_id ON ${s}.household
			FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.unit_id IS DISTINCT FROM NEW.unit_id)
			EXECUTE FUNCTION ${s}.household_kept();`;
}
