import type { INodeProperties } from 'n8n-workflow';
import type { HandlerTable } from '../../shared/n8n/router';
import { operationSelector, resourceSelector } from '../../shared/n8n/descriptions';
import { consultationDescription, consultationHandlers, consultationOperations } from './consultation/operations';
import { noticeDescription, noticeHandlers, noticeOperations } from './notice/operations';

export const handlers: HandlerTable = {
	notice: noticeHandlers,
	consultation: consultationHandlers,
};

const resource = resourceSelector([
	{ name: 'Consultation (征求意见)', value: 'consultation' },
	{ name: 'Notice (通知)', value: 'notice' },
], 'notice');

export const properties: INodeProperties[] = [
	resource,
	operationSelector('notice', noticeOperations, noticeOperations[0].value),
	operationSelector('consultation', consultationOperations, 'create'),
	...noticeDescription,
	...consultationDescription,
];
