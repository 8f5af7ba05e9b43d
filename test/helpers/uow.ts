import type { ConnectionConfig } from '../../nodes/shared/db/config';
import { withUnitOfWork } from '../../nodes/shared/db/unitOfWork';
import type { UnitOfWork } from '../../nodes/shared/domain/context';
import { checkNewUnit, type RawUnit } from '../../nodes/shared/domain/grid/unitInput';
import { createUnits } from '../../nodes/shared/domain/grid/units';
import { DEFAULT_SEGMENT_WIDTHS } from '../../nodes/shared/validation/gridCode';

export function run<T>(config: ConnectionConfig, fn: (uow: UnitOfWork) => Promise<T>, partial = false): Promise<T> {
	return withUnitOfWork(config, { actor: { node: 'test', workflowId: 'wf-test', executionId: 'ex-test' }, partial }, fn);
}

export function units(raw: RawUnit[]) {
	return raw.map((r) => checkNewUnit(r, DEFAULT_SEGMENT_WIDTHS));
}

/** A small district: 1 district, 2 streets, 2 communities each, 2 grids each, 2 buildings each. */
export function smallDistrict(): RawUnit[] {
	const out: RawUnit[] = [{ code: '370614', name: '蓬莱区' }];
	for (let s = 1; s <= 2; s++) {
		const sc = `370614-00${s}`;
		out.push({ code: sc, name: `街道${s}`, parentCode: '370614' });
		for (let c = 1; c <= 2; c++) {
			const cc = `${sc}-00${c}`;
			out.push({ code: cc, name: `社区${s}-${c}`, parentCode: sc });
			for (let g = 1; g <= 2; g++) {
				const gc = `${cc}-00${g}`;
				out.push({ code: gc, name: `网格${s}-${c}-${g}`, parentCode: cc, plannedHouseholds: 400 });
				for (let b = 1; b <= 2; b++) out.push({ code: `${gc}-000${b}`, name: `${b}号楼`, parentCode: gc });
			}
		}
	}
	return out;
}

export async function seedSmallDistrict(config: ConnectionConfig) {
	const outcomes = await run(config, (uow) => createUnits(uow, units(smallDistrict())));
	const bad = outcomes.find((o) => !o.ok);
	if (bad && !bad.ok) throw bad.error;
	return outcomes;
}
