namespace Backbone.DnsBench;

public enum DnsBenchMode
{
    /// <summary>Create the network, the services and the round-robin set; write the data file.</summary>
    Seed,

    /// <summary>Scale a service up and down by one endpoint and time each change until another node's DNS answers it.</summary>
    Freshness,
}
