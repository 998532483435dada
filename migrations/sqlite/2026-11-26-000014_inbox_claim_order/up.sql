-- The inbox worker takes pending activities in the order received: this
-- index holds only pending rows, so finding them never walks past the
-- processed ones (which stay for days to recognise duplicates).
CREATE INDEX received_activities_pending_order ON received_activities (id) WHERE state = 'pending';
