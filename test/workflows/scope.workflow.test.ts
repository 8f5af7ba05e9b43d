/**
 * Credential scope through every operation of every node (issue 8, "Scope"). Two sibling communities,
 * A (370614-001-001) and B (370614-001-002), hold everything located in the grid (test/helpers/scopeWorld.ts).
 * A credential scoped to A, whose login IS A SUPERUSER (so that only row-level security, under the
 * application role the nodes switch to, can stop it), aims each operation at B. Each case asserts the
 * specific outcome — refused with the scope / not-found message, or a result holding nothing of B — and,
 * with SQL as the admin login, that not one row located in B changed. The list of operations comes from
 * the loaded node descriptions: an operation with neither a case nor a justified exemption fails the test.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { closeAllPools } from '../../nodes/shared/db/pool';
import { withUnitOfWork } from '../../nodes/shared/db/unitOfWork';
import { type TestDatabase, createTestDatabase } from '../helpers/db';
import { type CredentialsByType, type N8nHarness, type OutputItem, type WorkflowJson, getHarness, gridCredentials } from '../helpers/n8nHarness';
import { activatePolling } from '../helpers/pollHarness';
import { NODE, type ScopeWorld, rl, runNode, seedScopeWorld, single, subtreeDigest } from '../helpers/scopeWorld';

let db: TestDatabase;
let harness: N8nHarness;
let world: ScopeWorld;
let scoped: CredentialsByType;
let extra: { crossContactName: string; streetNoticeId: number; streetConsultationId: number; bMessageId: string; medicalTaskId: number; bShiftTask: number };

/** Refused: the message says the thing is outside the scope, unknown, or not found (never what B holds). */
const REFUSED = /outside (this|the) credential's scope|outside the grid scope|scope|not found|unknown|no resident|does not exist|no such/i;

type Outcome = 'refused' | 'noB';
interface ScopeCase {
	/** `${nodeKey}:${resource}:${operation}`, optionally `#variant`. */
	key: string;
	params: () => INodeParameters;
	items?: () => IDataObject[];
	expect: Outcome;
	/** The refusal's own wording where it is not the scope message (default REFUSED). */
	refusal?: RegExp;
	/** Markers of B the output may echo because the input carried them (e.g. a pushed list's names). */
	echoes?: () => string[];
	/** Something of A the output must contain, so that "nothing of B" is not just "nothing at all". */
	aMarker?: () => string;
}

const A = () => world.A;
const B = () => world.B;
const future = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** Strings that only data located in B carries. */
const bMarkers = () => [
	B().code, ...B().names, ...B().reporterNames, ...B().incidentRefs, ...B().volunteerNos.map((n) => `"${n}"`), `网格长2`, '志愿者2', '通知2', '充电棚2', extra.crossContactName,
];

const cases: ScopeCase[] = [
	// Grid
	{ key: 'grid:unit:create', expect: 'refused', params: () => ({ resource: 'unit', operation: 'create', code: `${B().code}-009`, name: '新网格', parentCode: B().code }) },
	{ key: 'grid:unit:bulkImport', expect: 'refused', params: () => ({ resource: 'unit', operation: 'bulkImport' }), items: () => [{ code: `${B().code}-009`, name: '新网格', parentCode: B().code }] },
	{ key: 'grid:unit:get', expect: 'refused', params: () => ({ resource: 'unit', operation: 'get', unit: rl(B().code) }) },
	{ key: 'grid:unit:list', expect: 'refused', params: () => ({ resource: 'unit', operation: 'list', unit: rl(B().code), returnAll: true }) },
	{ key: 'grid:unit:ancestors', expect: 'refused', params: () => ({ resource: 'unit', operation: 'ancestors', unit: rl(B().building) }) },
	{ key: 'grid:unit:move', expect: 'refused', params: () => ({ resource: 'unit', operation: 'move', unit: rl(B().grid), newParent: rl(A().code) }) },
	{ key: 'grid:unit:move#intoB', expect: 'refused', params: () => ({ resource: 'unit', operation: 'move', unit: rl(A().grid), newParent: rl(B().code) }) },
	{ key: 'grid:unit:deactivate', expect: 'refused', params: () => ({ resource: 'unit', operation: 'deactivate', unit: rl(B().building) }) },
	{ key: 'grid:staff:create', expect: 'refused', params: () => ({ resource: 'staff', operation: 'create', name: '新员工', unit: rl(B().grid) }) },
	{ key: 'grid:staff:update', expect: 'refused', params: () => ({ resource: 'staff', operation: 'update', staff: rl(B().staffNo, 'staffNo'), updateFields: { name: '改名' } }) },
	{ key: 'grid:staff:get', expect: 'refused', params: () => ({ resource: 'staff', operation: 'get', staff: rl(B().staffNo, 'staffNo'), options: { reveal: true } }) },
	{ key: 'grid:staff:list', expect: 'noB', aMarker: () => A().staffNo, params: () => ({ resource: 'staff', operation: 'list', returnAll: true, filters: {} }) },
	{ key: 'grid:staff:assign', expect: 'refused', params: () => ({ resource: 'staff', operation: 'assign', staff: rl(B().staffNo, 'staffNo'), unit: rl(A().grid), role: 'grid_member' }) },
	{ key: 'grid:staff:assign#postInB', expect: 'refused', params: () => ({ resource: 'staff', operation: 'assign', staff: rl(A().staffNo, 'staffNo'), unit: rl(B().grid), role: 'grid_member' }) },
	{ key: 'grid:staff:unassign', expect: 'refused', params: () => ({ resource: 'staff', operation: 'unassign', unassignBy: 'post', staff: rl(B().staffNo, 'staffNo'), unit: rl(B().grid), role: 'grid_head' }) },
	{ key: 'grid:maintenance:rotateKey', expect: 'refused', refusal: /needs a credential without a scope/, params: () => ({ resource: 'maintenance', operation: 'rotateKey', batchSize: 100, maxBatches: 1 }) },
	{ key: 'grid:staff:responsible', expect: 'refused', params: () => ({ resource: 'staff', operation: 'responsible', unit: rl(B().building), level: 0 }) },
	// Resident
	{ key: 'resident:household:create', expect: 'refused', params: () => ({ resource: 'household', operation: 'create', unit: rl(B().building), roomNo: '999' }) },
	{ key: 'resident:household:get', expect: 'refused', params: () => ({ resource: 'household', operation: 'get', householdId: B().householdId }) },
	{ key: 'resident:household:list', expect: 'refused', params: () => ({ resource: 'household', operation: 'list', within: rl(B().code), returnAll: true }) },
	{ key: 'resident:household:update', expect: 'refused', params: () => ({ resource: 'household', operation: 'update', householdId: B().householdId, updateFields: { roomNo: '888' } }) },
	{ key: 'resident:resident:create', expect: 'refused', params: () => ({ resource: 'resident', operation: 'create', name: '新居民', documentNumber: '', buildingCode: B().building, roomNo: '777' }) },
	{ key: 'resident:resident:upsert', expect: 'refused', refusal: /already exists/, params: () => ({ resource: 'resident', operation: 'upsert', name: B().names[0], documentNumber: B().documents[0], buildingCode: A().building, roomNo: '101' }) },
	{ key: 'resident:resident:bulkImport', expect: 'refused', params: () => ({ resource: 'resident', operation: 'bulkImport', importMode: 'create' }), items: () => [{ name: '新居民', buildingCode: B().building, roomNo: '777' }] },
	{ key: 'resident:resident:get', expect: 'refused', params: () => ({ resource: 'resident', operation: 'get', findBy: 'document', documentType: 'id_card', documentNumber: B().documents[0], options: { reveal: true } }) },
	{ key: 'resident:resident:get#byPhone', expect: 'refused', params: () => ({ resource: 'resident', operation: 'get', findBy: 'phone', phone: B().phones[0] }) },
	{ key: 'resident:resident:get#byId', expect: 'refused', params: () => ({ resource: 'resident', operation: 'get', findBy: 'id', residentId: B().residentIds[0] }) },
	{ key: 'resident:resident:search', expect: 'noB', params: () => ({ resource: 'resident', operation: 'search', returnAll: true, filters: { documentNumber: B().documents[0] }, options: { reveal: true } }) },
	{ key: 'resident:resident:search#byPhone', expect: 'noB', params: () => ({ resource: 'resident', operation: 'search', returnAll: true, filters: { phone: B().phones[0] } }) },
	{ key: 'resident:resident:search#all', expect: 'noB', aMarker: () => A().names[0], params: () => ({ resource: 'resident', operation: 'search', returnAll: true, filters: {} }) },
	{ key: 'resident:resident:search#withinB', expect: 'refused', params: () => ({ resource: 'resident', operation: 'search', returnAll: true, filters: { withinCode: B().code } }) },
	{ key: 'resident:resident:update', expect: 'refused', params: () => ({ resource: 'resident', operation: 'update', findBy: 'phone', phone: B().phones[0], updateFields: { name: '改名' } }) },
	{ key: 'resident:resident:setHealthStatus', expect: 'refused', params: () => ({ resource: 'resident', operation: 'setHealthStatus', findBy: 'id', residentId: B().residentIds[0], status: 'symptomatic', reason: '发热' }) },
	{ key: 'resident:resident:move', expect: 'refused', params: () => ({ resource: 'resident', operation: 'move', findBy: 'id', residentId: B().residentIds[0], toBuildingCode: A().building, toRoomNo: '555' }) },
	{ key: 'resident:resident:move#intoB', expect: 'refused', params: () => ({ resource: 'resident', operation: 'move', findBy: 'id', residentId: A().residentIds[0], toBuildingCode: B().building, toRoomNo: '555' }) },
	{ key: 'resident:resident:deactivate', expect: 'refused', params: () => ({ resource: 'resident', operation: 'deactivate', findBy: 'document', documentType: 'id_card', documentNumber: B().documents[2], inactiveReason: 'moved_away' }) },
	{ key: 'resident:observation:record', expect: 'refused', params: () => ({ resource: 'observation', operation: 'record', findBy: 'document', documentType: 'id_card', documentNumber: B().documents[1], temperature: '37.0', source: 'door_visit' }) },
	{ key: 'resident:observation:list', expect: 'refused', params: () => ({ resource: 'observation', operation: 'list', listFor: 'subtree', withinCode: B().code, returnAll: true }) },
	{ key: 'resident:observation:list#resident', expect: 'refused', params: () => ({ resource: 'observation', operation: 'list', listFor: 'resident', findBy: 'id', residentId: B().residentIds[1], returnAll: true }) },
	{ key: 'resident:verification:check', expect: 'noB', echoes: () => [B().names[0]], params: () => ({ resource: 'verification', operation: 'check' }), items: () => [{ name: B().names[0], documentNumber: B().documents[0], phone: B().phones[0] }] },
	{ key: 'resident:exposure:record', expect: 'refused', params: () => ({
		resource: 'exposure', operation: 'record', aKind: 'resident', a_findBy: 'id', a_residentId: A().residentIds[0], bKind: 'resident', b_findBy: 'document', b_documentType: 'id_card', b_documentNumber: B().documents[0],
		occurredAt: future(-24), place: rl(A().building), kind: 'close_contact' }) },
	{ key: 'resident:exposure:trace', expect: 'noB', params: () => ({ resource: 'exposure', operation: 'trace', index_findBy: 'id', index_residentId: A().residentIds[1], hops: 3, windowDays: 14 }) },
	{ key: 'resident:exposure:trace#indexInB', expect: 'refused', params: () => ({ resource: 'exposure', operation: 'trace', index_findBy: 'phone', index_phone: B().phones[0], hops: 2, windowDays: 14 }) },
	// Incident
	{ key: 'incident:incident:create', expect: 'refused', params: () => ({ resource: 'incident', operation: 'create', source: 'hotline', category: 'sanitation', description: '越界上报', locationBy: 'unit', unit: rl(B().building), residentBy: 'none' }) },
	{ key: 'incident:incident:create#residentInB', expect: 'refused', params: () => ({ resource: 'incident', operation: 'create', source: 'hotline', category: 'sanitation', description: '越界上报', locationBy: 'resident', residentBy: 'document', residentDocument: B().documents[0] }) },
	{ key: 'incident:incident:bulkCreate', expect: 'refused', params: () => ({ resource: 'incident', operation: 'bulkCreate', defaultSource: 'hotline' }), items: () => [{ category: 'sanitation', description: '越界上报', unitCode: B().building }] },
	{ key: 'incident:incident:get', expect: 'refused', params: () => ({ resource: 'incident', operation: 'get', incident: B().incidentRefs[0], options: { reveal: true } }) },
	{ key: 'incident:incident:get#byId', expect: 'refused', params: () => ({ resource: 'incident', operation: 'get', incident: String(B().incidentIds[1]) }) },
	{ key: 'incident:incident:timeline', expect: 'refused', params: () => ({ resource: 'incident', operation: 'timeline', incident: B().incidentRefs[0] }) },
	{ key: 'incident:incident:search', expect: 'noB', aMarker: () => A().incidentRefs[0], params: () => ({ resource: 'incident', operation: 'search', returnAll: true, filters: {} }) },
	{ key: 'incident:incident:triage', expect: 'refused', params: () => ({ resource: 'incident', operation: 'triage', incident: B().incidentRefs[0], newRisk: 'high', reason: '越界' }) },
	{ key: 'incident:incident:assign', expect: 'refused', params: () => ({ resource: 'incident', operation: 'assign', incident: B().incidentRefs[0], assignTo: 'staff', staff: rl(A().staffNo, 'staffNo') }) },
	{ key: 'incident:incident:updateStatus', expect: 'refused', params: () => ({ resource: 'incident', operation: 'updateStatus', incident: B().incidentRefs[0], status: 'rejected', note: '越界' }) },
	{ key: 'incident:incident:comment', expect: 'refused', params: () => ({ resource: 'incident', operation: 'comment', incident: B().incidentRefs[0], comment: '越界' }) },
	{ key: 'incident:incident:escalate', expect: 'refused', params: () => ({ resource: 'incident', operation: 'escalate', incident: B().incidentRefs[0], reason: '越界' }) },
	{ key: 'incident:incident:reopen', expect: 'refused', params: () => ({ resource: 'incident', operation: 'reopen', incident: B().incidentRefs[1], reason: '越界' }) },
	{ key: 'incident:incident:close', expect: 'refused', params: () => ({ resource: 'incident', operation: 'close', incident: B().incidentRefs[0], satisfaction: 1, callbackResult: '越界' }) },
	{ key: 'incident:incident:escalateOverdue', expect: 'noB', params: () => ({ resource: 'incident', operation: 'escalateOverdue', limitToSubtree: false, overdueOutput: 'each' }) },
	{ key: 'incident:incident:escalateOverdue#withinB', expect: 'refused', params: () => ({ resource: 'incident', operation: 'escalateOverdue', limitToSubtree: true, within: rl(B().code), overdueOutput: 'each' }) },
	{ key: 'incident:open311:accept', expect: 'noB', params: () => ({ resource: 'open311', operation: 'accept', payload: '={{ $json }}', output: 'incident' }),
		items: () => [{ service_code: 'sanitation', description: '越界上报', address_string: B_ADDRESS }] },
	{ key: 'incident:open311:getRequests', expect: 'noB', params: () => ({ resource: 'open311', operation: 'getRequests', requestIds: B().incidentRefs.join(',') }) },
	{ key: 'incident:open311:getRequests#all', expect: 'noB', aMarker: () => A().incidentRefs[0], params: () => ({ resource: 'open311', operation: 'getRequests', filters: {} }) },
	// Task
	{ key: 'task:task:create', expect: 'refused', params: () => ({ resource: 'task', operation: 'create', kind: 'errand', unit: rl(B().building), additionalFields: { title: '越界' } }) },
	{ key: 'task:task:create#residentInB', expect: 'refused', params: () => ({ resource: 'task', operation: 'create', kind: 'errand', unit: rl(A().building), additionalFields: { title: '越界', residentId: B().residentIds[0] } }) },
	{ key: 'task:task:get', expect: 'refused', params: () => ({ resource: 'task', operation: 'get', taskId: B().taskId }) },
	{ key: 'task:task:timeline', expect: 'refused', params: () => ({ resource: 'task', operation: 'timeline', taskId: B().taskId }) },
	{ key: 'task:task:list', expect: 'noB', aMarker: () => '代买药品1', params: () => ({ resource: 'task', operation: 'list', returnAll: true, filters: {} }) },
	{ key: 'task:task:assign', expect: 'refused', params: () => ({ resource: 'task', operation: 'assign', taskId: B().taskId, assignTo: 'volunteer', volunteer: A().volunteerNos[0] }) },
	{ key: 'task:task:assign#volunteerOfB', expect: 'refused', params: () => ({ resource: 'task', operation: 'assign', taskId: A().taskId, assignTo: 'volunteer', volunteer: B().volunteerNos[0] }) },
	{ key: 'task:task:offer', expect: 'refused', params: () => ({ resource: 'task', operation: 'offer', taskId: B().taskId, volunteer: A().volunteerNos[0] }) },
	{ key: 'task:task:accept', expect: 'refused', params: () => ({ resource: 'task', operation: 'accept', taskId: B().taskId, volunteer: B().volunteerNos[0] }) },
	{ key: 'task:task:decline', expect: 'refused', params: () => ({ resource: 'task', operation: 'decline', taskId: B().taskId, volunteer: B().volunteerNos[0], reason: '越界' }) },
	{ key: 'task:task:start', expect: 'refused', params: () => ({ resource: 'task', operation: 'start', taskId: B().taskId }) },
	{ key: 'task:task:complete', expect: 'refused', params: () => ({ resource: 'task', operation: 'complete', taskId: B().taskId, outcome: {} }) },
	{ key: 'task:task:cancel', expect: 'refused', params: () => ({ resource: 'task', operation: 'cancel', taskId: B().taskId, reason: '越界' }) },
	{ key: 'task:task:expireOverdue', expect: 'noB', params: () => ({ resource: 'task', operation: 'expireOverdue', maxAttempts: 1, limitToSubtree: false, expireOutput: 'each' }) },
	{ key: 'task:shift:create', expect: 'refused', params: () => ({ resource: 'shift', operation: 'create', unit: rl(B().building), startsAt: future(48), endsAt: future(52), slots: 1 }) },
	{ key: 'task:shift:list', expect: 'noB', params: () => ({ resource: 'shift', operation: 'list', shiftFilters: {}, limit: 500 }) },
	{ key: 'task:campaign:run', expect: 'refused', params: () => ({
		resource: 'campaign', operation: 'run', campaignKey: 'scope-b-survey', campaignName: '越界', campaignKind: 'door_survey', campaignUnit: rl(B().code), campaignTarget: 'unit', unitLevel: 5, scheduleMode: 'once', dueAt: future(72) }) },
	{ key: 'task:campaign:get', expect: 'refused', params: () => ({ resource: 'campaign', operation: 'get', campaignKey: 'b-campaign' }) },
	{ key: 'task:campaign:list', expect: 'noB', params: () => ({ resource: 'campaign', operation: 'list', campaignFilters: {}, limit: 500 }) },
	{ key: 'task:supplyNeed:record', expect: 'refused', params: () => ({
		resource: 'supplyNeed', operation: 'record', residentId: B().residentIds[0], urgency: 'urgent', windowStart: future(24), windowEnd: future(27), supplyItems: { item: [{ item: '大米', quantity: 5, unit: 'kg', category: 'groceries' }] } }) },
	{ key: 'task:supplyNeed:list', expect: 'noB', params: () => ({ resource: 'supplyNeed', operation: 'list', needFilters: {}, limit: 500 }) },
	{ key: 'task:supplyNeed:planDeliveries', expect: 'noB', params: () => ({ resource: 'supplyNeed', operation: 'planDeliveries', planFilters: {} }) },
	{ key: 'task:supplyNeed:demandSummary', expect: 'noB', params: () => ({ resource: 'supplyNeed', operation: 'demandSummary', demandFilters: {} }) },
	// Volunteer
	{ key: 'volunteer:volunteer:create', expect: 'refused', params: () => ({ resource: 'volunteer', operation: 'create', name: '越界', kind: 'resident_volunteer', unitCode: B().building, skills: ['delivery'] }) },
	{ key: 'volunteer:volunteer:bulkImport', expect: 'refused', refusal: /already exists/, params: () => ({ resource: 'volunteer', operation: 'bulkImport', importMode: 'upsert' }), items: () => [{ name: '越界', volunteerNo: B().volunteerNos[0], kind: 'militia', unitCode: A().building }] },
	{ key: 'volunteer:volunteer:update', expect: 'refused', params: () => ({ resource: 'volunteer', operation: 'update', findBy: 'volunteerNo', volunteerNo: B().volunteerNos[0], updateFields: { maxTasks: 9 } }) },
	{ key: 'volunteer:volunteer:deactivate', expect: 'refused', params: () => ({ resource: 'volunteer', operation: 'deactivate', findBy: 'id', volunteerId: B().volunteerIds[1] }) },
	{ key: 'volunteer:volunteer:get', expect: 'refused', params: () => ({ resource: 'volunteer', operation: 'get', findBy: 'volunteerNo', volunteerNo: B().volunteerNos[0], options: { reveal: true } }) },
	{ key: 'volunteer:volunteer:list', expect: 'refused', params: () => ({ resource: 'volunteer', operation: 'list', within: rl(B().code), returnAll: true }) },
	{ key: 'volunteer:team:create', expect: 'refused', params: () => ({ resource: 'team', operation: 'create', teamName: '越界', teamKind: 'errand', teamUnit: rl(B().code) }) },
	{ key: 'volunteer:team:addMember', expect: 'refused', params: () => ({ resource: 'team', operation: 'addMember', teamId: B().teamId, findBy: 'volunteerNo', volunteerNo: A().volunteerNos[1] }) },
	{ key: 'volunteer:team:addMember#memberOfB', expect: 'refused', params: () => ({ resource: 'team', operation: 'addMember', teamId: A().teamId, findBy: 'volunteerNo', volunteerNo: B().volunteerNos[1] }) },
	{ key: 'volunteer:team:removeMember', expect: 'refused', params: () => ({ resource: 'team', operation: 'removeMember', teamId: B().teamId, findBy: 'volunteerNo', volunteerNo: B().volunteerNos[0] }) },
	{ key: 'volunteer:team:list', expect: 'refused', params: () => ({ resource: 'team', operation: 'list', within: rl(B().code), returnAll: true }) },
	{ key: 'volunteer:dispatch:run', expect: 'noB', params: () => ({ resource: 'dispatch', operation: 'run', select: 'subtree', within: rl(A().code), maxTasks: 100, options: { volunteersAnywhere: true } }) },
	{ key: 'volunteer:dispatch:run#tasksOfB', expect: 'refused', params: () => ({ resource: 'dispatch', operation: 'run', select: 'ids', taskIds: `${B().taskId}, ${extra.bShiftTask}`, maxTasks: 100 }) },
	// Notice
	{ key: 'notice:notice:compose', expect: 'refused', params: () => ({ resource: 'notice', operation: 'compose', noticeTitle: '越界', noticeBody: '{{name}}您好', noticeCategory: 'policy', noticeChannel: 'sms', noticeUnit: rl(B().code), noticeReach: 'every' }) },
	{ key: 'notice:notice:preview', expect: 'refused', params: () => ({ resource: 'notice', operation: 'preview', noticeId: B().noticeId }) },
	{ key: 'notice:notice:preview#streetNotice', expect: 'refused', params: () => ({ resource: 'notice', operation: 'preview', noticeId: extra.streetNoticeId }) },
	{ key: 'notice:notice:prepare', expect: 'refused', params: () => ({ resource: 'notice', operation: 'prepare', noticeId: B().noticeId, noticeIncludePhone: true }) },
	{ key: 'notice:notice:prepare#streetNotice', expect: 'refused', params: () => ({ resource: 'notice', operation: 'prepare', noticeId: extra.streetNoticeId, noticeIncludePhone: true }) },
	{ key: 'notice:notice:status', expect: 'refused', params: () => ({ resource: 'notice', operation: 'status', noticeId: B().noticeId }) },
	{ key: 'notice:notice:recordCallbacks', expect: 'refused', params: () => ({ resource: 'notice', operation: 'recordCallbacks', callbackMessageId: extra.bMessageId, callbackStatus: 'failed', callbackReason: '越界', callbackAt: '' }) },
	{ key: 'notice:notice:optOut', expect: 'refused', params: () => ({ resource: 'notice', operation: 'optOut', optOutResidentId: B().residentIds[0], optOutCategories: ['policy'], optOutAction: 'out' }) },
	{ key: 'notice:consultation:create', expect: 'refused', params: () => ({
		resource: 'consultation', operation: 'create', question: '越界？', consultationScope: rl(B().code), choiceKind: 'single', choiceOptions: { option: [{ code: 'y', label: '是' }, { code: 'n', label: '否' }] },
		opensAt: future(-1), closesAt: future(48) }) },
	{ key: 'notice:consultation:get', expect: 'refused', params: () => ({ resource: 'consultation', operation: 'get', consultationId: B().consultationId }) },
	{ key: 'notice:consultation:issueInvitations', expect: 'refused', params: () => ({ resource: 'consultation', operation: 'issueInvitations', consultationId: B().consultationId }) },
	{ key: 'notice:consultation:issueInvitations#streetConsultation', expect: 'refused', params: () => ({ resource: 'consultation', operation: 'issueInvitations', consultationId: extra.streetConsultationId }) },
	{ key: 'notice:consultation:respond', expect: 'refused', refusal: /does not match an invitation/, params: () => ({ resource: 'consultation', operation: 'respond', token: B().invitationTokens[0], choice: 'agree', answerText: '' }) },
	{ key: 'notice:consultation:tally', expect: 'refused', params: () => ({ resource: 'consultation', operation: 'tally', consultationId: B().consultationId, breakdownLevel: 4 }) },
	{ key: 'notice:consultation:close', expect: 'refused', params: () => ({ resource: 'consultation', operation: 'close', consultationId: B().consultationId, breakdownLevel: 4, closeEarly: true }) },
	// Grid Statistics
	{ key: 'gridStatistics:figures:rollup', expect: 'refused', params: () => ({ resource: 'figures', operation: 'rollup', unit: rl(B().code), periodType: 'day', periodDate: today(), byLevel: 5 }) },
	{ key: 'gridStatistics:figures:rollup#street', expect: 'refused', params: () => ({ resource: 'figures', operation: 'rollup', unit: rl('370614-001'), periodType: 'day', periodDate: today(), byLevel: 3 }) },
	{ key: 'gridStatistics:figures:staffPerformance', expect: 'refused', params: () => ({ resource: 'figures', operation: 'staffPerformance', unit: rl(B().code), periodType: 'day', periodDate: today(), groupBy: 'staff' }) },
	{ key: 'gridStatistics:export:create', expect: 'refused', params: () => ({ resource: 'export', operation: 'create', unit: rl(B().code), periodType: 'day', periodDate: today(), format: 'json', dataset: 'GRID_DAILY', byLevel: 4 }) },
	{ key: 'gridStatistics:export:create#consultationResult', expect: 'refused', params: () => ({ resource: 'export', operation: 'create', source: 'consultationResult', consultationId: B().consultationId, format: 'json' }) },
	{ key: 'gridStatistics:dashboard:render', expect: 'refused', params: () => ({ resource: 'dashboard', operation: 'render', unit: rl(B().code), byLevel: 0, days: 30 }) },
];

/** Operations that touch nothing located in the grid, with the reason. */
const EXEMPT: Record<string, string> = {
	'incident:open311:services': 'the category vocabulary (GeoReport service list): parameters only, no database rows located in a unit',
};

const B_ADDRESS = '蓬莱区越界路2号';
const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

async function runCase(c: ScopeCase): Promise<{ error?: string; items: OutputItem[] }> {
	const r = await harness.runWorkflow(single(NODE[c.key.split(':')[0] as keyof typeof NODE], c.params()), { credentials: scoped, inputItems: c.items?.() ?? [{}] });
	const node = r.node('Node');
	return node.error ? { error: `${node.error.message} ${node.error.description ?? ''}`, items: [] } : { items: node.items };
}

beforeAll(async () => {
	db = await createTestDatabase('wf_scope');
	harness = await getHarness();
	world = await seedScopeWorld(db, harness);
	const admin = world.admin;
	const run = (type: string, p: INodeParameters, items?: IDataObject[]) => runNode(harness, admin, type, p, items);

	// A contact in B of a case in A, through a B resident's exposure to A's quarantined resident.
	await run(NODE.resident, {
		resource: 'exposure', operation: 'record', aKind: 'resident', a_findBy: 'id', a_residentId: A().residentIds[1], bKind: 'resident', b_findBy: 'id', b_residentId: B().residentIds[0],
		occurredAt: future(-30), place: rl(A().building), kind: 'same_checkpoint',
	});
	extra = { crossContactName: B().names[0] } as typeof extra;
	// Overdue incidents and tasks in B, that A's set-based sweeps must not touch.
	await db.query(`UPDATE grid.incident SET due_at = now() - interval '2 hours' WHERE id = ANY($1::bigint[])`, [B().incidentIds]);
	await db.query(`UPDATE grid.task SET due_at = now() - interval '2 hours' WHERE id = $1`, [B().taskId]);
	await db.query(`UPDATE grid.grid_unit SET address = $2 WHERE code = $1`, [B().building, B_ADDRESS]);
	// B: a shift, a campaign, a supply need, a prepared notice; a street-wide notice and consultation.
	const [shift] = await run(NODE.task, { resource: 'shift', operation: 'create', unit: rl(B().building), startsAt: future(30), endsAt: future(34), slots: 1 });
	extra.bShiftTask = Number((shift.json.taskIds as number[] | undefined)?.[0] ?? (shift.json.tasks as IDataObject[] | undefined)?.[0]?.id ?? 0);
	await run(NODE.task, { resource: 'campaign', operation: 'run', campaignKey: 'b-campaign', campaignName: 'B摸排', campaignKind: 'door_survey', campaignUnit: rl(B().code), campaignTarget: 'unit', unitLevel: 5, scheduleMode: 'once', dueAt: future(96) });
	await run(NODE.task, { resource: 'supplyNeed', operation: 'record', residentId: B().residentIds[0], urgency: 'urgent', windowStart: future(24), windowEnd: future(27), supplyItems: { item: [{ item: '大米', quantity: 5, unit: 'kg', category: 'groceries' }] } });
	const prepared = await run(NODE.notice, { resource: 'notice', operation: 'prepare', noticeId: B().noticeId, noticeIncludePhone: false });
	extra.bMessageId = String(prepared[0].json.messageId);
	const [street] = await run(NODE.notice, { resource: 'notice', operation: 'compose', noticeTitle: '街道通知', noticeBody: '{{name}}您好', noticeCategory: 'policy', noticeChannel: 'sms', noticeUnit: rl('370614-001'), noticeReach: 'every' });
	extra.streetNoticeId = Number(street.json.noticeId ?? street.json.id);
	const [streetC] = await run(NODE.notice, {
		resource: 'consultation', operation: 'create', question: '街道征求意见？', consultationScope: rl('370614-001'), choiceKind: 'single', choiceOptions: { option: [{ code: 'y', label: '是' }, { code: 'n', label: '否' }] },
		opensAt: future(-1), closesAt: future(48) });
	extra.streetConsultationId = Number(streetC.json.id ?? streetC.json.consultationId);
	// A medical task in A that only a B volunteer could do: dispatch must leave it open.
	await db.query(`UPDATE grid.volunteer SET skills = skills || '{medical}' WHERE volunteer_no = $1`, [B().volunteerNos[1]]);
	const [medical] = await run(NODE.task, { resource: 'task', operation: 'create', kind: 'temperature_check', unit: rl(A().building), additionalFields: { title: '医疗随访', requiredSkills: ['medical'], windowStart: future(1), windowEnd: future(5) } });
	extra.medicalTaskId = Number(medical.json.id);

	scoped = { gridGovernancePostgres: gridCredentials(db.config({ scopeCode: A().code })) };
}, 180_000);

afterAll(async () => {
	await harness?.closeGridPools();
	await closeAllPools();
	await db?.drop();
});

describe('the scoped credential', () => {
	it('logs in as a superuser: only row-level security under the application role can confine it', async () => {
		const c = db.config({ scopeCode: A().code });
		const [login] = await db.query<{ rolsuper: boolean }>(`SELECT rolsuper FROM pg_roles WHERE rolname = $1`, [c.user]);
		expect(login.rolsuper).toBe(true);
		// Inside a unit of work, plain statements with no WHERE see A only, and cannot reach B.
		const seen = await withUnitOfWork(c, { actor: { node: 'scope-test' } }, async (uow) => {
			const role = (await uow.trx.raw(`SELECT current_user AS r, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS s`)).rows[0];
			const counts: Record<string, number> = {};
			for (const t of ['grid_unit', 'resident', 'household', 'incident', 'task', 'volunteer', 'team', 'notice', 'consultation', 'health_observation', 'exposure', 'staff']) {
				counts[t] = Number((await uow.trx.raw(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
			}
			const updated = (await uow.trx.raw(`UPDATE resident SET name = name || '!' WHERE id = ANY(?::bigint[])`, [B().residentIds])).rowCount;
			return { role, counts, updated };
		});
		expect(seen.role).toEqual({ r: 'grid_app', s: false });
		expect(seen.updated).toBe(0);
		for (const [t, n] of Object.entries(seen.counts)) {
			const [inA] = await db.query<{ n: number }>(
				`SELECT count(*)::int AS n FROM grid.${t} x JOIN grid.grid_unit u ON u.id = x.${t === 'grid_unit' ? 'id' : 'unit_id'}
				WHERE u.path LIKE (SELECT path FROM grid.grid_unit WHERE code = $1) || '%'`, [A().code]);
			expect({ t, n }).toEqual({ t, n: inA.n });
		}
		expect(seen.counts.resident).toBeGreaterThan(0);
	});

	it('has a case or a justified exemption for every operation of every node', () => {
		const expected: string[] = [];
		for (const [nodeKey, type] of Object.entries(NODE)) {
			const props = harness.nodeTypes.getByNameAndVersion(type, 1).description.properties;
			const operations = props.filter((p) => p.name === 'operation');
			if (!operations.length) expected.push(`${nodeKey}:poll`);
			for (const op of operations) {
				for (const resource of (op.displayOptions?.show?.resource as string[] | undefined) ?? ['-']) {
					for (const o of op.options as Array<{ value: string }>) expected.push(`${nodeKey}:${resource}:${o.value}`);
				}
			}
		}
		const covered = new Set([...cases.map((c) => c.key.split('#')[0]), ...Object.keys(EXEMPT), 'gridTrigger:poll']);
		expect(expected.filter((k) => !covered.has(k))).toEqual([]);
		expect(expected.length).toBeGreaterThan(90);
	});
});

describe.each(cases.map((c) => [c.key, c] as const))('%s aimed at community B', (_key, c) => {
	it(c.expect === 'refused' ? 'is refused, and nothing of B changes' : 'returns nothing of B, and nothing of B changes', async () => {
		const before = await subtreeDigest(db, B().code);
		const out = await runCase(c);
		if (c.expect === 'refused') {
			expect(out.error).toMatch(c.refusal ?? REFUSED);
		} else {
			expect(out.error).toBeUndefined();
			const text = JSON.stringify(out.items.map((i) => i.json));
			const echoed = new Set(c.echoes?.() ?? []);
			expect(bMarkers().filter((m) => !echoed.has(m) && text.includes(m))).toEqual([]);
			if (c.key.startsWith('resident:verification')) expect(out.items.map((i) => i.json.result)).toEqual(['not_found']);
			if (c.aMarker) expect(text).toContain(c.aMarker());
		}
		expect(await subtreeDigest(db, B().code)).toEqual(before);
	});
});

describe('cross-boundary results, checked against an unscoped run', () => {
	it('contact tracing from a case in A finds the contact in B only without a scope', async () => {
		const params = { resource: 'exposure', operation: 'trace', index_findBy: 'id', index_residentId: A().residentIds[1], hops: 3, windowDays: 14 };
		const unscoped = JSON.stringify((await runNode(harness, world.admin, NODE.resident, params)).map((i) => i.json));
		expect(unscoped).toContain(B().names[0]);
		const inScope = JSON.stringify((await runNode(harness, scoped, NODE.resident, params)).map((i) => i.json));
		expect(inScope).toContain(A().names[2]);
		expect(inScope).not.toContain(B().names[0]);
	});

	it('dispatch leaves the task only a volunteer of B could do open, and B volunteers unloaded', async () => {
		const [{ status, assignee }] = await db.query<{ status: string; assignee: string | null }>(
			`SELECT status, assignee_volunteer_id::text AS assignee FROM grid.task WHERE id = $1`, [extra.medicalTaskId]);
		expect({ status, assignee }).toEqual({ status: 'open', assignee: null });
		const loads = await db.query<{ n: number }>(`SELECT coalesce(sum(current_load), 0)::int AS n FROM grid.volunteer WHERE id = ANY($1::bigint[])`, [B().volunteerIds]);
		expect(loads[0].n).toBe(0);
	});
});

describe('Grid Trigger', () => {
	it('a scoped poll emits events of A and never of B', async () => {
		const wf: WorkflowJson = {
			nodes: [
				{ name: 'Trigger', type: NODE.gridTrigger, typeVersion: 1, parameters: { events: ['incident.created', 'incident.statusChanged', 'incident.slaBreached', 'task.created'], minRisk: 'low', withinUnit: rl('', 'list'), options: { includeLastHours: 24 } } },
				{ name: 'NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} },
			],
			connections: { Trigger: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
		};
		const active = await activatePolling(harness, wf, { credentials: scoped });
		try {
			const before = await subtreeDigest(db, B().code);
			await runNode(harness, world.admin, NODE.incident, { resource: 'incident', operation: 'create', source: 'hotline', category: 'sanitation', description: 'B新事件', locationBy: 'unit', unit: rl(B().building), residentBy: 'none' });
			await runNode(harness, world.admin, NODE.incident, { resource: 'incident', operation: 'create', source: 'hotline', category: 'sanitation', description: 'A新事件', locationBy: 'unit', unit: rl(A().building), residentBy: 'none' });
			const emittedText = () => JSON.stringify(active.executions.flatMap((e) => e.output('NoOp')).map((i) => i.json));
			for (let k = 0; k < 20 && !emittedText().includes('A新事件'); k++) {
				await new Promise((r) => setTimeout(r, 200));
				await active.tick();
			}
			await active.tick();
			const text = emittedText();
			expect(text).toContain('A新事件');
			expect(text).not.toContain('B新事件');
			expect(bMarkers().filter((m) => text.includes(m))).toEqual([]);
			const after = await subtreeDigest(db, B().code);
			// the admin's new incident in B is the only change there (incident and its timeline)
			expect({ ...after, incident: '', incident_event: '' }).toEqual({ ...before, incident: '', incident_event: '' });
		} finally {
			await active.deactivate();
		}
	});
});
