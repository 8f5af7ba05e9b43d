import type { Knex } from 'knex';
import { auditTable, unitVisibleIn } from './001_foundation';

/**
 * Volunteers and teams, tasks with their offers, declines and timeline, campaigns that create tasks
 * idempotently, checkpoint shifts, and residents' supply needs.
 */
export function tasks(schema: string, appRole: string): Knex.Migration {
	const s = `"${schema}"`;
	const unitVisible = unitVisibleIn(s);
	return {
		async up(knex) {
			await knex.raw(`
				CREATE TABLE ${s}.volunteer (
					id bigserial PRIMARY KEY,
					volunteer_no text CONSTRAINT volunteer_no_unique UNIQUE,
					name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
					kind text NOT NULL CHECK (kind IN ('party_member', 'cadre', 'resident_volunteer', 'militia', 'social_org', 'professional')),
					home_agency text,
					profession text,
					skills text[] NOT NULL DEFAULT '{}',
					-- weekly windows: [{ "day": 1-7 (ISO), "start": "08:00", "end": "12:00" }], local time of the credential's zone
					availability jsonb NOT NULL DEFAULT '[]'::jsonb,
					unit_id bigint NOT NULL CONSTRAINT volunteer_unit_fk REFERENCES ${s}.grid_unit(id),
					max_tasks integer NOT NULL DEFAULT 3 CHECK (max_tasks >= 1),
					-- the atomic load counter: dispatch raises it in the same statement that assigns, and the
					-- check makes a volunteer past their maximum impossible whatever runs in parallel
					current_load integer NOT NULL DEFAULT 0,
					last_assigned_at timestamptz,
					phone_hash text,
					phone_enc text,
					phone_masked text,
					active boolean NOT NULL DEFAULT true,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CONSTRAINT volunteer_load_within_max CHECK (current_load BETWEEN 0 AND max_tasks)
				);
				CREATE INDEX volunteer_unit_idx ON ${s}.volunteer (unit_id) WHERE active;
				CREATE INDEX volunteer_phone_idx ON ${s}.volunteer (phone_hash) WHERE phone_hash IS NOT NULL;

				CREATE TABLE ${s}.team (
					id bigserial PRIMARY KEY,
					name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
					kind text NOT NULL CHECK (kind IN ('vanguard', 'errand', 'militia_commando', 'temporary_branch', 'lei_feng')),
					unit_id bigint NOT NULL CONSTRAINT team_unit_fk REFERENCES ${s}.grid_unit(id),
					leader_volunteer_id bigint REFERENCES ${s}.volunteer(id),
					active boolean NOT NULL DEFAULT true,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CONSTRAINT team_name_unique UNIQUE (unit_id, name)
				);

				CREATE TABLE ${s}.team_member (
					id bigserial PRIMARY KEY,
					team_id bigint NOT NULL REFERENCES ${s}.team(id),
					volunteer_id bigint NOT NULL REFERENCES ${s}.volunteer(id),
					-- the team's unit, copied for row-level security
					unit_id bigint NOT NULL,
					joined_at timestamptz NOT NULL DEFAULT now(),
					left_at timestamptz,
					CHECK (left_at IS NULL OR left_at >= joined_at)
				);
				CREATE UNIQUE INDEX team_member_current ON ${s}.team_member (team_id, volunteer_id) WHERE left_at IS NULL;
				CREATE INDEX team_member_volunteer_idx ON ${s}.team_member (volunteer_id) WHERE left_at IS NULL;

				CREATE TABLE ${s}.campaign (
					id bigserial PRIMARY KEY,
					campaign_key text NOT NULL CONSTRAINT campaign_key_unique UNIQUE,
					name text NOT NULL,
					kind text NOT NULL,
					-- the subtree the campaign covers
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					target text NOT NULL CHECK (target IN ('resident', 'unit')),
					filter jsonb NOT NULL DEFAULT '{}'::jsonb,
					schedule jsonb NOT NULL DEFAULT '{}'::jsonb,
					template jsonb NOT NULL DEFAULT '{}'::jsonb,
					runs integer NOT NULL DEFAULT 0,
					last_run_at timestamptz,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now()
				);

				CREATE TABLE ${s}.checkpoint_shift (
					id bigserial PRIMARY KEY,
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					starts_at timestamptz NOT NULL,
					ends_at timestamptz NOT NULL,
					slots integer NOT NULL CHECK (slots BETWEEN 1 AND 100),
					required_skills text[] NOT NULL DEFAULT '{}',
					note text,
					created_at timestamptz NOT NULL DEFAULT now(),
					CHECK (ends_at > starts_at)
				);
				CREATE INDEX checkpoint_shift_unit_idx ON ${s}.checkpoint_shift (unit_id, starts_at);

				CREATE TABLE ${s}.task (
					id bigserial PRIMARY KEY,
					kind text NOT NULL CHECK (kind IN ('door_survey', 'checkpoint_shift', 'temperature_check', 'registration', 'errand',
						'supply_delivery', 'disinfection', 'quarantine_followup', 'verification', 'locate_person', 'custom')),
					custom_kind text,
					title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
					description text,
					unit_id bigint NOT NULL CONSTRAINT task_unit_fk REFERENCES ${s}.grid_unit(id),
					resident_id bigint CONSTRAINT task_resident_fk REFERENCES ${s}.resident(id),
					household_id bigint CONSTRAINT task_household_fk REFERENCES ${s}.household(id),
					incident_id bigint CONSTRAINT task_incident_fk REFERENCES ${s}.incident(id),
					campaign_id bigint CONSTRAINT task_campaign_fk REFERENCES ${s}.campaign(id),
					-- which campaign target and occurrence this is: a campaign run twice creates nothing twice
					campaign_target text,
					occurrence text,
					shift_id bigint CONSTRAINT task_shift_fk REFERENCES ${s}.checkpoint_shift(id),
					window_start timestamptz,
					window_end timestamptz,
					due_at timestamptz,
					required_skills text[] NOT NULL DEFAULT '{}',
					priority smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 4),
					preferred_team_id bigint REFERENCES ${s}.team(id),
					status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'offered', 'assigned', 'accepted', 'in_progress', 'done', 'cancelled')),
					offered_volunteer_id bigint REFERENCES ${s}.volunteer(id),
					assignee_volunteer_id bigint REFERENCES ${s}.volunteer(id),
					assignee_staff_id bigint REFERENCES ${s}.staff(id),
					assignee_team_id bigint REFERENCES ${s}.team(id),
					assigned_at timestamptz,
					started_at timestamptz,
					attempts integer NOT NULL DEFAULT 0,
					outcome jsonb,
					details jsonb NOT NULL DEFAULT '{}'::jsonb,
					completed_at timestamptz,
					cancel_reason text,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					CHECK (window_end IS NULL OR window_start IS NULL OR window_end > window_start),
					CHECK ((kind = 'custom') = (custom_kind IS NOT NULL))
				);
				CREATE UNIQUE INDEX task_campaign_occurrence_unique ON ${s}.task (campaign_id, campaign_target, occurrence) WHERE campaign_id IS NOT NULL;
				CREATE INDEX task_open_idx ON ${s}.task (status, priority, due_at) WHERE status IN ('open', 'offered', 'assigned', 'accepted', 'in_progress');
				CREATE INDEX task_unit_idx ON ${s}.task (unit_id, created_at);
				CREATE INDEX task_volunteer_idx ON ${s}.task (assignee_volunteer_id) WHERE assignee_volunteer_id IS NOT NULL;
				CREATE INDEX task_staff_idx ON ${s}.task (assignee_staff_id) WHERE assignee_staff_id IS NOT NULL;
				CREATE INDEX task_resident_idx ON ${s}.task (resident_id) WHERE resident_id IS NOT NULL;
				CREATE INDEX task_incident_idx ON ${s}.task (incident_id) WHERE incident_id IS NOT NULL;
				CREATE INDEX task_shift_idx ON ${s}.task (shift_id) WHERE shift_id IS NOT NULL;

				-- A volunteer who declined a task is never offered it again.
				CREATE TABLE ${s}.task_decline (
					task_id bigint NOT NULL REFERENCES ${s}.task(id),
					volunteer_id bigint NOT NULL REFERENCES ${s}.volunteer(id),
					unit_id bigint NOT NULL,
					reason text NOT NULL,
					declined_at timestamptz NOT NULL DEFAULT now(),
					PRIMARY KEY (task_id, volunteer_id)
				);

				-- The task timeline, read by the Grid Trigger with the same (tx, id) cursor as incidents.
				CREATE TABLE ${s}.task_event (
					id bigserial PRIMARY KEY,
					task_id bigint NOT NULL REFERENCES ${s}.task(id),
					unit_id bigint NOT NULL,
					kind text NOT NULL,
					from_status text,
					to_status text,
					note text,
					details jsonb NOT NULL DEFAULT '{}'::jsonb,
					actor jsonb NOT NULL DEFAULT ${s}.current_actor(),
					at timestamptz NOT NULL DEFAULT now(),
					tx xid8 NOT NULL DEFAULT pg_current_xact_id()
				);
				CREATE INDEX task_event_task_idx ON ${s}.task_event (task_id, id);
				CREATE INDEX task_event_cursor_idx ON ${s}.task_event (tx, id);
				CREATE TRIGGER task_event_no_update BEFORE UPDATE OR DELETE ON ${s}.task_event
					FOR EACH ROW EXECUTE FUNCTION ${s}.incident_event_immutable();

				CREATE TABLE ${s}.supply_need (
					id bigserial PRIMARY KEY,
					resident_id bigint NOT NULL REFERENCES ${s}.resident(id),
					household_id bigint REFERENCES ${s}.household(id),
					-- the building
					unit_id bigint NOT NULL REFERENCES ${s}.grid_unit(id),
					-- [{ "item": "大米", "quantity": 5, "unit": "kg", "category": "groceries" }]
					items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) > 0),
					urgency text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('low', 'normal', 'urgent')),
					window_start timestamptz NOT NULL,
					window_end timestamptz NOT NULL,
					status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'fulfilled', 'cancelled')),
					task_id bigint REFERENCES ${s}.task(id),
					note text,
					created_at timestamptz NOT NULL DEFAULT now(),
					updated_at timestamptz NOT NULL DEFAULT now(),
					fulfilled_at timestamptz,
					CHECK (window_end > window_start)
				);
				CREATE INDEX supply_need_open_idx ON ${s}.supply_need (unit_id, window_start) WHERE status = 'open';
				CREATE INDEX supply_need_task_idx ON ${s}.supply_need (task_id) WHERE task_id IS NOT NULL;

				GRANT SELECT, INSERT, UPDATE ON ${s}.volunteer, ${s}.team, ${s}.team_member, ${s}.campaign, ${s}.checkpoint_shift,
					${s}.task, ${s}.supply_need TO "${appRole}";
				GRANT SELECT, INSERT ON ${s}.task_decline, ${s}.task_event TO "${appRole}";
				GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO "${appRole}";
				GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO "${appRole}";
			`);
			for (const table of ['volunteer', 'team', 'team_member', 'campaign', 'checkpoint_shift', 'task', 'task_decline', 'task_event', 'supply_need']) {
				await knex.raw(`
					ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY;
					CREATE POLICY ${table}_scope ON ${s}.${table} TO "${appRole}"
						USING ${unitVisible('unit_id')} WITH CHECK ${unitVisible('unit_id')};
				`);
			}
			await auditTable(knex, schema, 'volunteer', 'id', 'unit_id', ['phone_hash', 'phone_enc']);
			await auditTable(knex, schema, 'team', 'id', 'unit_id');
			await auditTable(knex, schema, 'team_member', 'id', 'unit_id');
			await auditTable(knex, schema, 'campaign', 'id', 'unit_id');
			await auditTable(knex, schema, 'checkpoint_shift', 'id', 'unit_id');
			await auditTable(knex, schema, 'task', 'id', 'unit_id');
			await auditTable(knex, schema, 'supply_need', 'id', 'unit_id');
		},
		async down() {
			throw new Error('The tasks migration cannot be undone; drop the schema instead.');
		},
	};
}
