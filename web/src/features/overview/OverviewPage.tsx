export function OverviewPage(_props: Record<string, unknown>) { return <h1>OverviewPage</h1>; }
