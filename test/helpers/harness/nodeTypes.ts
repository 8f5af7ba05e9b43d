import { AsyncLocalStorage } from 'async_hooks';
import path from 'path';
import { type DirectoryLoader, LazyPackageDirectoryLoader, PackageDirectoryLoader } from 'n8n-core';
import {
	type ICredentialType,
	type IDataObject,
	type INodeType,
	type INodeTypes,
	type IVersionedNodeType,
	NodeHelpers,
} from 'n8n-workflow';

/** Nodes of n8n-nodes-base the harness loads unless told otherwise (type names without the package). */
export const DEFAULT_BASE_NODES = ['manualTrigger', 'noOp', 'set', 'code', 'postgres'];

/** Per execution: the errors nodes threw, as thrown (WorkflowExecute keeps only a plain copy). */
export interface ExecutionCapture {
	thrown: Map<string, Error[]>;
}

export const executionCapture = new AsyncLocalStorage<ExecutionCapture>();

function record(nodeName: string, error: unknown) {
	const capture = executionCapture.getStore();
	if (!capture || !(error instanceof Error)) return;
	const list = capture.thrown.get(nodeName) ?? [];
	list.push(error);
	capture.thrown.set(nodeName, list);
}

/**
 * Wraps a node type so that an error thrown by its execute() is recorded for the current execution
 * before it propagates unchanged. Everything else is the loaded node type itself (via the prototype).
 */
function capturing(nodeType: INodeType): INodeType {
	const execute = nodeType.execute;
	if (!execute) return nodeType;
	const wrapped = Object.create(nodeType) as INodeType;
	wrapped.execute = async function (this: unknown, ...args: unknown[]) {
		try {
			// n8n calls execute with the context as `this`, or (class-based nodes) as the first argument
			return await (execute as (...a: unknown[]) => Promise<unknown>).apply(this === wrapped ? nodeType : this, args);
		} catch (error) {
			const ctx = (this === wrapped ? args[0] : this) as { getNode?: () => { name: string } };
			record(typeof ctx?.getNode === 'function' ? ctx.getNode().name : '?', error);
			throw error;
		}
	} as INodeType['execute'];
	return wrapped;
}

export interface PackageSource {
	/** Directory of the package (the one holding its package.json with the `n8n` section). */
	directory: string;
	/** Load lazily from dist/known + dist/types (n8n-nodes-base ships them) and only these node types. */
	includeNodes?: string[];
}

/**
 * The node and credential types of the loaded packages, in the shape Workflow and WorkflowExecute
 * need (INodeTypes), keyed `<package name>.<node name>` exactly as n8n keys them.
 */
export class HarnessNodeTypes implements INodeTypes {
	readonly loaders: DirectoryLoader[] = [];
	private readonly byVersion = new Map<string, INodeType>();

	static async load(sources: PackageSource[]): Promise<HarnessNodeTypes> {
		const types = new HarnessNodeTypes();
		for (const source of sources) {
			const directory = path.resolve(source.directory);
			let loader: DirectoryLoader;
			if (source.includeNodes) {
				const name = (require(path.join(directory, 'package.json')) as { name: string }).name;
				loader = new LazyPackageDirectoryLoader(directory, [], source.includeNodes.map((n) => `${name}.${n}`));
			} else {
				loader = new PackageDirectoryLoader(directory);
			}
			await loader.loadAll();
			types.loaders.push(loader);
		}
		return types;
	}

	private split(fullType: string): { loader: DirectoryLoader; type: string } | undefined {
		for (const loader of this.loaders) {
			const prefix = `${loader.packageName}.`;
			if (fullType.startsWith(prefix)) {
				const type = fullType.slice(prefix.length);
				if (type in loader.known.nodes || type in loader.nodeTypes) return { loader, type };
			}
		}
		return undefined;
	}

	has(fullType: string): boolean {
		return this.split(fullType) !== undefined;
	}

	getByName(fullType: string): INodeType | IVersionedNodeType {
		const found = this.split(fullType);
		if (!found) throw new Error(`The harness has not loaded node type "${fullType}"; loaded: ${this.knownNames().join(', ')}`);
		return found.loader.getNode(found.type).type;
	}

	getByNameAndVersion(fullType: string, version?: number): INodeType {
		const key = `${fullType}@${version ?? 'latest'}`;
		let nodeType = this.byVersion.get(key);
		if (!nodeType) {
			nodeType = capturing(NodeHelpers.getVersionedNodeType(this.getByName(fullType), version));
			this.byVersion.set(key, nodeType);
		}
		return nodeType;
	}

	getKnownTypes(): IDataObject {
		const known: IDataObject = {};
		for (const loader of this.loaders) {
			for (const [type, info] of Object.entries(loader.known.nodes)) known[`${loader.packageName}.${type}`] = info as unknown as IDataObject;
		}
		return known;
	}

	knownNames(): string[] {
		return Object.keys(this.getKnownTypes());
	}

	getCredentialType(name: string): ICredentialType | undefined {
		for (const loader of this.loaders) {
			if (name in loader.credentialTypes || name in loader.known.credentials) return loader.getCredential(name).type;
		}
		return undefined;
	}
}
