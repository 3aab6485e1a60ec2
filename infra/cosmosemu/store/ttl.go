package store

import "time"

// sweepExpired deletes expired items every second, as Cosmos DB's background
// TTL deletion does; reads already hide them the moment they expire.
func (e *Engine) sweepExpired() {
	defer close(e.ttlDone)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-e.closing:
			return
		case <-tick.C:
		}
		now := e.now().Unix()
		for _, d := range e.Databases() {
			for _, c := range d.Containers() {
				c.deleteExpired(now)
			}
		}
	}
}

func (c *Container) deleteExpired(now int64) {
	c.mu.RLock()
	if c.expiring == 0 {
		c.mu.RUnlock()
		return
	}
	type victim struct {
		pk PartitionKey
		id string
	}
	var victims []victim
	for _, lp := range c.logical {
		for id, d := range lp.docs {
			if d.Expires != 0 && d.Expires <= now {
				victims = append(victims, victim{PartitionKey{Values: lp.values, Key: lp.key}, id})
			}
		}
	}
	c.mu.RUnlock()
	for _, v := range victims {
		c.Execute(v.pk, []Op{{Kind: OpDelete, ID: v.id, expired: true}})
	}
}
