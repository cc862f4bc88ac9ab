export function RunPage(_props: Record<string, unknown>) { return <h1>RunPage</h1>; }
