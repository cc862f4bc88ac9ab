// What the dashboard reads across slices: the registry overview with each workflow's live figures,
// a workflow's flow (where its runs went, per edge), and the change feed behind live updates.
export { changeSchema, flowEdgeSchema, flowNodeSchema, flowSchema, overviewSchema, overviewWorkflowSchema } from './schemas.js';
