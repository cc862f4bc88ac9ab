// What the dashboard reads across slices: the registry overview with each workflow's live figures,
// a workflow's flow (where its runs went, per edge), and the change feed behind live updates.
export { changeSchema, flowEdgeSchema, flowNodeSchema, flowSchema, overviewSchema, overviewWorkflowSchema } from './schemas.js';
export { registerOverviewRoutes, type OverviewRouteDeps, type OverviewRoutes } from './routes.js';
export { readOverview, healthOf, type Overview, type OverviewWorkflow, type Health } from './figures.js';
export { readFlow, endStatuses, type Flow, type FlowQuery } from './flow.js';
export { declaredFlow, endNode, TRIGGER, type DeclaredFlow, type DeclaredNode } from './flow-graph.js';
export { createChangeFeed, type Change, type ChangeFeed, type ChangeFeedOptions, type FeedSubscriber } from './feed.js';
