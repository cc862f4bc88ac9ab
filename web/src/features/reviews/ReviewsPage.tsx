export function ReviewsPage(_props: Record<string, unknown>) { return <h1>ReviewsPage</h1>; }
