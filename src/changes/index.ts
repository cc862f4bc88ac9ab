// The changes slice owns the change process of production workflows: which parts of a version are
// governed (prompts, model settings, grants, approval boundary), change requests with their diff
// against production, and their decision by the owner or a named approver before promotion.
export { governedAreas, governedChanges, changedAreas, type GovernedArea, type GovernedChange, type GovernedSnapshot } from './governed.js';
export {
  changeStatus, getChangeRequest, listChangeRequests, changeStatuses,
  type ChangeStatus, type ChangeRequest, type ChangeRequestStatus, type ListChangesOptions,
} from './queries.js';
export { requestChange, decideChange, withdrawChange, type RequestChange, type DecideChange } from './requests.js';
export { registerChangeRoutes, changeRequestSchema, governedChangeSchema } from './routes.js';
