export function WorkflowPage(_props: Record<string, unknown>) { return <h1>WorkflowPage</h1>; }
